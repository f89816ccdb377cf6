// Strings of the tickets pages (zh-CN).
export default {
};
