// Strings of the webhooks pages (en).
export default {
};
