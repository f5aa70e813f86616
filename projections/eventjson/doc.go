// Package eventjson reads the members of a stored event's JSON object
// without allocating, so that projections can decode only the fields they
// need at rebuild speed.
//
// An Object walks the top-level members of one JSON object in order; the
// caller switches on Key and takes the value with Str, Int, Float, Bool or
// Time, or ignores it (nested objects and arrays are skipped). Values are
// views into the input and are valid until the next call; copy what must
// outlive it (String does).
//
// The scanner checks the structure it walks (quotes, brackets, literals,
// number characters) and reports malformed input as an error; it is not a
// full validator, because the event store refuses invalid JSON on append.
// Rarely used forms (escaped strings, non-RFC 3339 times) fall back to
// encoding/json and time.Parse.
package eventjson
