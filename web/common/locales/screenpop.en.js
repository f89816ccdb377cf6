// Strings of the screenpop pages (en).
export default {
};
