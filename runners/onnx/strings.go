//go:build !windows

package onnx

/*
#cgo CFLAGS: -I${SRCDIR}/capi
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "onnxruntime_c_api.h"

static const OrtApi *ferry_api = NULL;

typedef const OrtApiBase *(*ferry_get_base)(void);

static int ferry_api_init(const char *path) {
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (!h) return 1;
	ferry_get_base f = (ferry_get_base) dlsym(h, "OrtGetApiBase");
	if (!f) return 2;
	ferry_api = f()->GetApi(ORT_API_VERSION);
	return ferry_api ? 0 : 3;
}

// ferry_fill fills a string tensor; it returns NULL or an error message to free.
static char *ferry_fill(void *value, const char *const *s, size_t n) {
	OrtStatus *st = ferry_api->FillStringTensor((OrtValue *) value, s, n);
	if (!st) return NULL;
	char *msg = strdup(ferry_api->GetErrorMessage(st));
	ferry_api->ReleaseStatus(st);
	return msg;
}
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"

	ort "github.com/yalue/onnxruntime_go"
)

// The Go binding fills a string tensor through one C string per element, a malloc
// and a cgo call per row. Category columns hold few distinct strings, so ferry makes
// one C string per level and hands onnxruntime an array of pointers to them.

var (
	capiOnce sync.Once
	capiOK   bool
)

func capi() bool {
	capiOnce.Do(func() {
		initMu.Lock()
		path := initPath
		initMu.Unlock()
		if path == "" {
			return
		}
		cpath := C.CString(path)
		defer C.free(unsafe.Pointer(cpath))
		capiOK = C.ferry_api_init(cpath) == 0
	})
	return capiOK
}

// levelStrings are a category column's levels as C strings; index len(levels) is
// the empty string used for nulls.
type levelStrings []*C.char

func newLevelStrings(levels []string) levelStrings {
	out := make(levelStrings, len(levels)+1)
	for i, l := range levels {
		out[i] = C.CString(l)
	}
	out[len(levels)] = C.CString("")
	return out
}

func (l levelStrings) free() {
	for _, p := range l {
		C.free(unsafe.Pointer(p))
	}
}

// fillCodes fills t with the levels that codes index (-1: null, the empty string).
func fillCodes(t *ort.StringTensor, levels levelStrings, codes []int32) error {
	if len(codes) == 0 {
		return nil
	}
	null := int32(len(levels) - 1)
	ptrs := (*[1 << 30]*C.char)(C.malloc(C.size_t(len(codes)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))[:len(codes):len(codes)]
	defer C.free(unsafe.Pointer(&ptrs[0]))
	for i, k := range codes {
		if k < 0 {
			k = null
		}
		ptrs[i] = levels[k]
	}
	// The binding keeps the OrtValue pointer as the only field of
	// ValueInternalData (onnxruntime_go v1.27.0).
	value := *(*unsafe.Pointer)(unsafe.Pointer(t.GetInternals()))
	if value == nil {
		return errors.New("string tensor has no value")
	}
	if msg := C.ferry_fill(value, &ptrs[0], C.size_t(len(codes))); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return errors.New(C.GoString(msg))
	}
	return nil
}
