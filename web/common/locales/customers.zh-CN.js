// Strings of the customers pages (zh-CN).
export default {
};
