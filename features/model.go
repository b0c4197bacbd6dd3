package features

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/nistgmm/nistgmm/dataset"
)

// Dim is the number of features the network produces.
const Dim = 50

// Classes is the number of logits.
const Classes = 10

// Model is the feature CNN loaded in onnxruntime.
type Model struct {
	Path   string
	SHA256 string
	Mode   dataset.Mode // preprocessing the network was trained with
	Mean   float64      // normalisation of [0, 1] pixels
	SD     float64
	Meta   map[string]string // every nistgmm.* metadata entry
	sess   *ort.DynamicAdvancedSession
}

// Load opens the model, checks its input (N x 1 x 28 x 28 float "image") and
// outputs ("features" N x 50, "logits" N x 10), and reads the preprocessing
// and normalisation from its metadata.
func Load(path string) (*Model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w (leave --model out to use the CNN built into nistgmm; retrain with scripts/train_cnn.py)", err)
	}
	return LoadBytes(data, path)
}

// LoadBytes is Load on a model already in memory; name says where it
// came from in messages and in Model.Path.
func LoadBytes(data []byte, name string) (*Model, error) {
	path := name
	if err := initRuntime(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	m := &Model{Path: path, SHA256: hex.EncodeToString(sum[:]), Meta: map[string]string{}}
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: not a readable ONNX model: %w", path, err)
	}
	if err := checkShapes(ins, outs); err != nil {
		return nil, fmt.Errorf("model %s: %w; export it with scripts/train_cnn.py", path, err)
	}
	meta, err := ort.GetModelMetadataWithONNXData(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: metadata: %w", path, err)
	}
	defer meta.Destroy()
	keys, err := meta.GetCustomMetadataMapKeys()
	if err != nil {
		return nil, fmt.Errorf("model %s: metadata: %w", path, err)
	}
	for _, k := range keys {
		v, _, err := meta.LookupCustomMetadataMap(k)
		if err != nil {
			return nil, err
		}
		m.Meta[k] = v
	}
	if m.Mode, err = dataset.ParseMode(m.Meta["nistgmm.preprocess"]); err != nil {
		return nil, fmt.Errorf("model %s: metadata nistgmm.preprocess: %w", path, err)
	}
	if m.Mean, err = strconv.ParseFloat(m.Meta["nistgmm.norm_mean"], 64); err != nil {
		return nil, fmt.Errorf("model %s: metadata nistgmm.norm_mean: %w", path, err)
	}
	if m.SD, err = strconv.ParseFloat(m.Meta["nistgmm.norm_sd"], 64); err != nil || m.SD <= 0 {
		return nil, fmt.Errorf("model %s: metadata nistgmm.norm_sd %q is not a positive number", path, m.Meta["nistgmm.norm_sd"])
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, err
	}
	defer opts.Destroy()
	// One thread per Run: the extractor runs one batch per core itself.
	opts.SetIntraOpNumThreads(1)
	opts.SetInterOpNumThreads(1)
	m.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(data, []string{"image"}, []string{"features", "logits"}, opts)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", path, err)
	}
	return m, nil
}

func checkShapes(ins, outs []ort.InputOutputInfo) error {
	want := func(list []ort.InputOutputInfo, name string, dims []int64) error {
		for _, io := range list {
			if io.Name != name {
				continue
			}
			if io.DataType != ort.TensorElementDataTypeFloat {
				return fmt.Errorf("%s has element type %v, want float32", name, io.DataType)
			}
			got := []int64(io.Dimensions)
			ok := len(got) == len(dims)
			for i := 1; ok && i < len(dims); i++ { // dimension 0 is the batch
				ok = got[i] == dims[i]
			}
			if !ok {
				return fmt.Errorf("%s has shape %v, want %v (batch first)", name, got, dims)
			}
			return nil
		}
		return fmt.Errorf("no %q tensor", name)
	}
	if err := want(ins, "image", []int64{-1, 1, dataset.Side, dataset.Side}); err != nil {
		return err
	}
	if err := want(outs, "features", []int64{-1, Dim}); err != nil {
		return err
	}
	return want(outs, "logits", []int64{-1, Classes})
}

// Close releases the session.
func (m *Model) Close() error {
	if m.sess == nil {
		return nil
	}
	err := m.sess.Destroy()
	m.sess = nil
	return err
}

// Normalize maps [0, 1] pixels to the network's input scale, in place.
func (m *Model) Normalize(px []float32) {
	mean, sd := float32(m.Mean), float32(m.SD)
	for i, v := range px {
		px[i] = (v - mean) / sd
	}
}

// Infer runs n normalised images (n*28*28 values) and returns the features
// (n*50) and logits (n*10). Safe for concurrent use.
func (m *Model) Infer(x []float32, n int) ([]float32, []float32, error) {
	if len(x) != n*dataset.Side*dataset.Side {
		return nil, nil, fmt.Errorf("infer: %d values for %d images", len(x), n)
	}
	in, err := ort.NewTensor(ort.NewShape(int64(n), 1, dataset.Side, dataset.Side), x)
	if err != nil {
		return nil, nil, err
	}
	defer in.Destroy()
	feats, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), Dim))
	if err != nil {
		return nil, nil, err
	}
	defer feats.Destroy()
	logits, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), Classes))
	if err != nil {
		return nil, nil, err
	}
	defer logits.Destroy()
	if err := m.sess.Run([]ort.Value{in}, []ort.Value{feats, logits}); err != nil {
		return nil, nil, fmt.Errorf("infer: %w", err)
	}
	return append([]float32(nil), feats.GetData()...), append([]float32(nil), logits.GetData()...), nil
}
