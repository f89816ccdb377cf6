// Strings of the restapi pages (en).
export default {
};
