// Package policy turns a role and a subject into what may be granted: the
// path prefix a subject's cookies unlock and how long they last. It is pure:
// no I/O, no clock (now comes in as an argument), no imports of other
// tokensvc packages.
//
// It is the one place that decides that a subject can never escape its
// tier's folder, so everything it accepts is checked byte by byte against a
// strict alphabet rather than cleaned up.
package policy
