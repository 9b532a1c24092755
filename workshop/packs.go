package workshop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/crashlab/crashlab/internal/relpath"
	"github.com/crashlab/crashlab/scenarios"
)

// RoomPacksName is the ConfigMap in a workshop's namespace that holds the
// packs of incidents the room runs, for its learners' crashlab: each
// learner's Role may get it by name, so a learner needs no copy of the
// pack on their own machine. (The room's controller reads its own copy from
// a mount.)
const RoomPacksName = "crashlab-room-packs"

// PackFiles is a pack as a room and its controller carry it: its files by
// slash-separated path inside the pack, without fixes/ (the intended
// answers).
type PackFiles struct {
	Name  string
	Files map[string][]byte
}

// packsIndexKey holds which pack and path each file key of the ConfigMap
// is (a key cannot hold a "/").
const packsIndexKey = "index.json"

// MaxPacksSize is what a ConfigMap of packs may hold (the room's, the
// controller's): the API server refuses an object over 1 MiB.
const MaxPacksSize = 900 << 10

// ErrPacksTooLarge is a room's packs too large for one ConfigMap.
var ErrPacksTooLarge = fmt.Errorf("the room's packs are too large for a ConfigMap (%d KiB)", MaxPacksSize>>10)

// ErrBadRoomPacks is a room's packs ConfigMap that does not read as packs:
// its index is missing or names a file it does not hold, a pack name or a
// path that could leave the pack's folder.
var ErrBadRoomPacks = errors.New("the room's packs ConfigMap is not a set of packs")

type packFileRef struct {
	Pack string `json:"pack"`
	Path string `json:"path"`
}

// roomPacksConfigMap is the room's packs as one ConfigMap in ws: the files
// under keys f0, f1, ..., and an index of what each key is.
func roomPacksConfigMap(ws string, labels map[string]string, packs []PackFiles) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: RoomPacksName, Namespace: ws, Labels: labels},
		Data: map[string]string{}, BinaryData: map[string][]byte{}}
	index := map[string]packFileRef{}
	size := 0
	for _, p := range packs {
		paths := make([]string, 0, len(p.Files))
		for f := range p.Files {
			paths = append(paths, f)
		}
		sort.Strings(paths)
		for _, f := range paths {
			key := fmt.Sprintf("f%d", len(index))
			index[key] = packFileRef{Pack: p.Name, Path: f}
			cm.BinaryData[key] = p.Files[f]
			size += len(p.Files[f])
		}
	}
	if size > MaxPacksSize {
		return nil, ErrPacksTooLarge
	}
	b, err := json.Marshal(index)
	if err != nil {
		return nil, err
	}
	cm.Data[packsIndexKey] = string(b)
	return cm, nil
}

// putRoomPacks writes the room's packs, replacing what an earlier create
// wrote; a ConfigMap of that name the lab did not create is refused.
func putRoomPacks(ctx context.Context, c kubernetes.Interface, cm *corev1.ConfigMap) error {
	cms := c.CoreV1().ConfigMaps(cm.Namespace)
	return upsert(cm.Name, "ConfigMap",
		func() error { _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); return err },
		func() (metav1.Object, error) { return cms.Get(ctx, cm.Name, metav1.GetOptions{}) },
		func(rv string) error {
			cm := cm.DeepCopy()
			cm.ResourceVersion = rv
			_, err := cms.Update(ctx, cm, metav1.UpdateOptions{})
			return err
		})
}

// ReadRoomPacks reads the packs of workshop name, as its learners' crashlab
// does. A room without packs, or one made before rooms carried them (its
// learners' Role does not name the ConfigMap), has none: nil, nil.
func ReadRoomPacks(ctx context.Context, c kubernetes.Interface, name string) ([]PackFiles, error) {
	cm, err := c.CoreV1().ConfigMaps(Namespace(name)).Get(ctx, RoomPacksName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the room's packs: %w", err)
	}
	return packsOf(cm)
}

// packsOf decodes the ConfigMap, refusing anything that would write outside
// a pack's folder once unpacked.
func packsOf(cm *corev1.ConfigMap) ([]PackFiles, error) {
	var index map[string]packFileRef
	if err := json.Unmarshal([]byte(cm.Data[packsIndexKey]), &index); err != nil {
		return nil, fmt.Errorf("%w: its index: %v", ErrBadRoomPacks, err)
	}
	keys := make([]string, 0, len(index))
	for k := range index {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	byName := map[string]*PackFiles{}
	var out []*PackFiles
	for _, k := range keys {
		ref := index[k]
		content, ok := cm.BinaryData[k]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: the index names %s, which it does not hold", ErrBadRoomPacks, k)
		case !scenarios.ValidPackName(ref.Pack):
			return nil, fmt.Errorf("%w: %q is not a pack's name", ErrBadRoomPacks, ref.Pack)
		case !localPath(ref.Path):
			return nil, fmt.Errorf("%w: pack %s has a file at %q, outside its folder", ErrBadRoomPacks, ref.Pack, ref.Path)
		}
		p := byName[ref.Pack]
		if p == nil {
			p = &PackFiles{Name: ref.Pack, Files: map[string][]byte{}}
			byName[ref.Pack] = p
			out = append(out, p)
		}
		p.Files[ref.Path] = content
	}
	packs := make([]PackFiles, 0, len(out))
	for _, p := range out {
		packs = append(packs, *p)
	}
	return packs, nil
}

// localPath tells whether p, slash-separated, stays inside the folder it
// is unpacked into, written as it is meant (clean, not the folder itself).
func localPath(p string) bool {
	clean, inside := relpath.Inside(p)
	return inside && clean == p && p != "."
}
