// Package layout holds no code: its test enforces the direction of imports
// (cmd → api → {policy, signing, session}) that DEVELOPERS.md describes.
package layout
