package simulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/recoupledger/recoup/domain"
)

// LoadPreset reads a preset file (the JSON of a domain.PresetSpec),
// refusing unknown fields and presets that break Metrifox's rules. The
// policy is named after the preset, or the file when the name is empty.
func LoadPreset(path string) (NamedPreset, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return NamedPreset{}, fmt.Errorf("preset file: %w", err)
	}
	var p domain.PresetSpec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return NamedPreset{}, fmt.Errorf("preset file %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return NamedPreset{}, fmt.Errorf("preset file %s: %w", path, err)
	}
	name := p.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return NamedPreset{Name: "preset:" + name, Preset: p}, nil
}

// OpenWorld loads a world by file path, or by the name of a default world
// (see datasets.WorldNames) when no such file exists.
func OpenWorld(pathOrName string, defaults func(string) ([]byte, error)) (*Model, error) {
	var (
		w   *World
		err error
	)
	if _, statErr := os.Stat(pathOrName); statErr == nil || defaults == nil {
		w, err = LoadWorld(pathOrName)
	} else {
		var raw []byte
		if raw, err = defaults(pathOrName); err == nil {
			w, err = DecodeWorld(pathOrName, raw)
		}
	}
	if err != nil {
		return nil, err
	}
	return Compile(w)
}
