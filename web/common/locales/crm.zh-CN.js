// Strings of the crm pages (zh-CN).
export default {
};
