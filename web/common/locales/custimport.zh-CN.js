// Strings of the custimport pages (zh-CN).
export default {
};
