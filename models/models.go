// Package models holds the feature CNN the commands use by default, built
// into the binary so that they need no file from the repository:
// cnn.onnx, trained and exported by scripts/train_cnn.py.
package models

import _ "embed"

//go:embed cnn.onnx
var cnn []byte

// CNN returns a copy of the built-in ONNX model.
func CNN() []byte { return append([]byte(nil), cnn...) }
