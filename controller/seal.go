package controller

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/crashlab/crashlab/api/v1alpha1"
)

// sealVersion starts every seal, so that a later change of what is sealed
// reads as an older seal, not as tampering.
const sealVersion = "v1:"

// MinSealKey is the shortest seal key accepted (HMAC-SHA256's block of
// randomness: 32 bytes).
const MinSealKey = 32

// ErrSealKeyShort is a seal key shorter than MinSealKey.
var ErrSealKeyShort = errors.New("the seal key is too short")

// Sealer signs an Attempt's status with a key only the controller reads (a
// Secret mounted into its pod), so that a status written by anyone else (a
// cluster admin with `kubectl edit --subresource=status`) is detected: RBAC
// already keeps learners from writing status at all.
type Sealer struct{ key []byte }

// NewSealer returns a Sealer for key.
func NewSealer(key []byte) (Sealer, error) {
	if len(key) < MinSealKey {
		return Sealer{}, ErrSealKeyShort
	}
	return Sealer{key: append([]byte(nil), key...)}, nil
}

// Seal is the seal of st, st's own Seal left out. The status is sealed as
// its JSON, which the API server's round trip keeps as it was written: every
// field is omitempty, map keys are sorted, times are kept at the precision
// they are written with.
func (s Sealer) Seal(st v1alpha1.AttemptStatus) string {
	st.Seal = ""
	b, err := json.Marshal(st)
	if err != nil {
		// A status that cannot be marshalled cannot have come from the API
		// server; no seal matches it.
		return ""
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	return sealVersion + base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}

// Verify is true when st carries the seal of its content, or is empty (an
// Attempt the controller has not written yet).
func (s Sealer) Verify(st v1alpha1.AttemptStatus) bool {
	if st.Seal == "" {
		st.Seal = ""
		b, _ := json.Marshal(st)
		return string(b) == "{\"progress\":{}}" || string(b) == "{}"
	}
	want := s.Seal(st)
	return want != "" && hmac.Equal([]byte(want), []byte(st.Seal))
}
