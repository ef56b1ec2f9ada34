package flagsmith

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// The vectors were computed with the flag engine's Python function
// (flag_engine/utils/hashing.py, get_hashed_percentage_for_object_ids).
func TestHashedPercentage_MatchesTheFlagEngine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		ids  []string
		want float64
	}{
		{[]string{"12", "93"}, 27.655531106221243},
		{[]string{"30", "73"}, 91.99839967993599},
		{[]string{"1", "env_key_alice"}, 57.6615323064613},
		{[]string{"7", "ser_abc_bob"}, 69.53390678135627},
		{[]string{"0DEC57D2-D8F2-4F1F-BD1C-E6BF10B1B47B", "99"}, 5.331066213242649},
		{[]string{"99", "0DEC57D2-D8F2-4F1F-BD1C-E6BF10B1B47B"}, 53.680736147229446},
		{[]string{"FE25DB15-F618-40F2-9F18-796D29EDF61F", "0DEC57D2-D8F2-4F1F-BD1C-E6BF10B1B47B"}, 56.28125625125024},
	} {
		if got := HashedPercentage(tc.ids...); got != tc.want {
			t.Errorf("HashedPercentage(%q) = %v, want %v", tc.ids, got, tc.want)
		}
	}
}

// Port of the engine's test_get_hashed_percentage_for_object_ids_handles_hash_value_of_100: a hash
// of 0x270e (9998 → exactly 100) is rehashed with the string repeated; 0x270f (9999 → 0) is kept.
func TestHashedPercentage_RehashesExactly100(t *testing.T) {
	t.Parallel()
	var inputs []string
	answers := []string{"270e", "270f"}
	sum := func(b []byte) []byte {
		inputs = append(inputs, string(b))
		h, _ := hex.DecodeString(answers[len(inputs)-1])
		return h
	}
	if got := hashedPercentage(sum, []string{"12", "93"}); got != 0 {
		t.Errorf("got %v, want 0", got)
	}
	if want := []string{"12,93", "12,9312,93"}; strings.Join(inputs, "|") != strings.Join(want, "|") {
		t.Errorf("hashed %q, want %q", inputs, want)
	}
}

// Port of test_get_hashed_percentage_is_evenly_distributed: 10 000 identities land evenly in ten
// buckets of 10%, within 10% of the expected count.
func TestHashedPercentage_IsEvenlyDistributed(t *testing.T) {
	t.Parallel()
	var buckets [10]int
	const n = 10000
	for i := 0; i < n; i++ {
		v := HashedPercentage("42", fmt.Sprintf("identity-%d", i))
		if v < 0 || v >= 100 {
			t.Fatalf("value %v outside [0, 100)", v)
		}
		buckets[int(v/10)]++
	}
	for i, c := range buckets {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("bucket %d holds %d identities, want about %d", i, c, n/10)
		}
	}
}

func TestInPercentageSplit_UsesSegmentIDAndIdentityKey(t *testing.T) {
	t.Parallel()
	// HashedPercentage("1", "env_key_alice") is 57.66…
	key := IdentityKey("env_key", "alice")
	if InPercentageSplit(1, key, 57) || !InPercentageSplit(1, key, 58) {
		t.Errorf("alice should be outside 57%% and inside 58%%")
	}
	if !InPercentageSplit(1, key, 100) || InPercentageSplit(1, key, 0) {
		t.Errorf("100%% must include and 0%% exclude alice")
	}
}
