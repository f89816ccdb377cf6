// Strings of the screenpop pages (zh-CN).
export default {
};
