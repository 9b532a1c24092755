package archmismatch

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crashlab/crashlab/images"
)

// BinfmtDir is where Linux lists its binfmt_misc handlers. The table belongs to
// the kernel, so on a kind cluster the host's table is the node's table.
const BinfmtDir = "/proc/sys/fs/binfmt_misc"

// elfMachine is the ELF e_machine value of each architecture the lab carries.
var elfMachine = map[string]uint16{
	"amd64": 0x3e, // EM_X86_64
	"arm64": 0xb7, // EM_AARCH64
}

// qemuName is the handler name qemu-user-static and tonistiigi/binfmt register
// for each architecture; used when a handler's magic cannot be read.
var qemuName = map[string]string{
	"amd64": "qemu-x86_64",
	"arm64": "qemu-aarch64",
}

// eMachineOffset is where e_machine sits in an ELF header.
const eMachineOffset = 18

// EmulationWarning returns a warning when the kernel whose binfmt_misc table is
// at binfmtDir has an enabled handler for the architecture that is NOT
// nodeArch: then the scenario's foreign binary is handed to an emulator instead
// of failing with "exec format error", and the scenario cannot show its
// failure. It returns "" when no such handler exists or the table cannot be
// read (a kernel without binfmt_misc emulates nothing).
func EmulationWarning(nodeArch, binfmtDir string) string {
	other, err := images.OtherArch(nodeArch)
	if err != nil {
		return ""
	}
	if status, err := os.ReadFile(filepath.Join(binfmtDir, "status")); err == nil && strings.TrimSpace(string(status)) == "disabled" {
		return ""
	}
	entries, err := os.ReadDir(binfmtDir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "register" || e.Name() == "status" {
			continue
		}
		path := filepath.Join(binfmtDir, e.Name())
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		h := parseHandler(string(raw))
		if !h.enabled || !h.runs(other, e.Name()) {
			continue
		}
		if !strings.Contains(h.flags, "F") {
			// Without the F flag the kernel looks for the interpreter inside the
			// container, where the lab's image has none: the start still fails,
			// but with a different error than the one the scenario teaches.
			return fmt.Sprintf("this machine has a binfmt_misc handler for %s programs (%s, interpreter %s). The lab's image holds no emulator, so this incident's containers should still fail, but possibly with \"no such file or directory\" instead of \"exec format error\". To see the failure as taught, disable the handler while you work on it: echo 0 | sudo tee %s (echo 1 turns it back on).",
				other, path, h.interpreter, path)
		}
		return fmt.Sprintf("this machine can run %s programs through an emulator (binfmt_misc handler %s, interpreter %s), so the %s binary in this incident's image will run instead of failing with \"exec format error\": the scenario cannot show its failure here. Disable the handler while you work on it: echo 0 | sudo tee %s (echo 1 turns it back on), or use a cluster whose nodes have no such handler.",
			other, path, h.interpreter, other, path)
	}
	return ""
}

// handler is one binfmt_misc entry as the kernel prints it:
//
//	enabled
//	interpreter /usr/bin/qemu-aarch64-static
//	flags: OCF
//	offset 0
//	magic 7f454c460201010000000000000000000200b700
//	mask ffffffffffffff00fffffffffffffffffeffffff
type handler struct {
	enabled     bool
	interpreter string
	flags       string
	offset      int
	magic       []byte
}

func parseHandler(s string) handler {
	var h handler
	for _, line := range strings.Split(s, "\n") {
		key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		val = strings.TrimSpace(val)
		switch key {
		case "enabled":
			h.enabled = true
		case "interpreter":
			h.interpreter = val
		case "flags:":
			h.flags = val
		case "offset":
			h.offset, _ = strconv.Atoi(val)
		case "magic":
			h.magic, _ = hex.DecodeString(val)
		}
	}
	return h
}

// runs reports whether the handler takes 64-bit little-endian ELF programs for
// arch. A handler whose magic does not reach e_machine is judged by its name.
func (h handler) runs(arch, name string) bool {
	want, ok := elfMachine[arch]
	if !ok {
		return false
	}
	if h.offset == 0 && len(h.magic) >= eMachineOffset+2 && string(h.magic[:4]) == "\x7fELF" {
		// e_ident[EI_CLASS] 2 = 64-bit; e_machine is little-endian there.
		m := uint16(h.magic[eMachineOffset]) | uint16(h.magic[eMachineOffset+1])<<8
		return h.magic[4] == 2 && m == want
	}
	return name == qemuName[arch] || strings.HasPrefix(name, qemuName[arch]+"-")
}
