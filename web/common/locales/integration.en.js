// Strings of the integration pages (en).
export default {
};
