// Strings of the custimport pages (en).
export default {
};
