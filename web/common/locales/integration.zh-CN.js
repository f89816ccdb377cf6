// Strings of the integration pages (zh-CN).
export default {
};
