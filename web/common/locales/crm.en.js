// Strings of the crm pages (en).
export default {
};
