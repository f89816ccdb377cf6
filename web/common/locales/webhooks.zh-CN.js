// Strings of the webhooks pages (zh-CN).
export default {
};
