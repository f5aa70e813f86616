package analytics

import (
	"fmt"
	"io"
	"os"
)

func tempDir() (string, error) {
	dir, err := os.MkdirTemp("", "recoup-parquet-")
	if err != nil {
		return "", fmt.Errorf("analytics: parquet: %w", err)
	}
	return dir, nil
}

func removeAll(dir string) { _ = os.RemoveAll(dir) }

func copyFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("analytics: parquet: %w", err)
	}
	return nil
}
