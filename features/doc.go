// Package features turns character images into the 50-dimensional features
// the mixtures are fitted on, by running the CNN of models/cnn.onnx with
// onnxruntime.
//
// The model's metadata says which preprocessing (dataset.Mode) and which
// normalisation it was trained with; the extractor applies exactly those.
// Decoding and preprocessing run in parallel, the network runs in batches,
// and the results are written as .npy files with a manifest.json, each
// written to a temporary file and renamed, so an interrupted extraction never
// leaves a file that looks complete.
package features
