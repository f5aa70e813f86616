package notifytest

import "mime"

// mimeDecoder decodes RFC 2047 encoded headers such as a UTF-8 Subject.
type mimeDecoder struct{ d mime.WordDecoder }

func (m *mimeDecoder) header(s string) string {
	out, err := m.d.DecodeHeader(s)
	if err != nil {
		return s
	}
	return out
}
