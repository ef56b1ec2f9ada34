package flagsmith

import (
	"crypto/md5"
	"math/big"
	"strconv"
	"strings"
)

// HashedPercentage is the flag engine's get_hashed_percentage_for_object_ids: the md5 of the ids
// joined by ",", read as a big integer, mapped to [0, 100). A value of exactly 100 is hashed again
// with the joined string repeated once more, as the engine does.
func HashedPercentage(ids ...string) float64 { return hashedPercentage(md5Sum, ids) }

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

func hashedPercentage(sum func([]byte) []byte, ids []string) float64 {
	joined := strings.Join(ids, ",")
	for i := 1; ; i++ {
		n := new(big.Int).SetBytes(sum([]byte(strings.Repeat(joined, i))))
		v := float64(new(big.Int).Mod(n, big.NewInt(9999)).Int64()) / 9998 * 100
		if v != 100 {
			return v
		}
	}
}

// InPercentageSplit reports whether an identity falls inside a PERCENTAGE_SPLIT condition of the
// segment: the engine hashes "<segment id>,<identity key>" and includes values ≤ the percentage.
func InPercentageSplit(segmentID int, identityKey string, percentage float64) bool {
	return HashedPercentage(strconv.Itoa(segmentID), identityKey) <= percentage
}

// IdentityKey is the key edge and local evaluation use for an identity: "<env api key>_<identifier>".
// Identities stored in Flagsmith's core database are hashed by their numeric id instead.
func IdentityKey(environmentKey, identifier string) string {
	return environmentKey + "_" + identifier
}
