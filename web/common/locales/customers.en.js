// Strings of the customers pages (en).
export default {
};
