// Strings of the restapi pages (zh-CN).
export default {
};
