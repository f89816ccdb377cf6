// Strings of the admin console's side navigation (en).
export default {
	'adminnav.label': 'Admin navigation',
	'adminnav.menu': 'Menu',
	'adminnav.group.team': 'Users & agents',
	'adminnav.group.ivr': 'Numbers & IVR',
	'adminnav.group.calls': 'Calls & recordings',
	'adminnav.group.crm': 'Customers',
	'adminnav.group.service': 'Records & notices',
	'adminnav.group.system': 'System & integrations',
	'adminnav.group.platform': 'Platform',
	'adminnav.group.carrier': 'Trunks & numbers',
};
