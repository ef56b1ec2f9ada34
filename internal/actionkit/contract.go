package actionkit

import (
	"errors"
	"fmt"
)

// CheckInputContract compares the inputs a program read with those its action.yml declares, both
// ways: an input read but not declared is never passed by the runner; one declared but never read
// is a promise the program does not keep. Tests call it after parsing a config.
func CheckInputContract(k *Kit) error {
	read := map[string]bool{}
	for _, n := range k.InputsRead() {
		read[n] = true
	}
	var errs []error
	k.mu.Lock()
	undeclared := sortedKeys(k.undeclared)
	k.mu.Unlock()
	for _, n := range undeclared {
		errs = append(errs, fmt.Errorf("input %q is read but not declared in action.yml", n))
	}
	for _, n := range k.meta.InputNames() {
		if !read[n] {
			errs = append(errs, fmt.Errorf("input %q is declared but never read", n))
		}
	}
	return errors.Join(errs...)
}
