// The protocol's error codes (SPEC section 7). They are defined once, in the core, which returns
// them as values; this module is where protocol code and documentation take them from.

export { errorCodes, RequestError, type ErrorCode } from '../core/errors.js';
