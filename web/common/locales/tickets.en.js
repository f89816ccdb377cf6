// Strings of the tickets pages (en).
export default {
};
