// tlog_check answers Merkle-tree and signed-note questions with Go's own implementations
// (golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note), so that
// tests/test_independent_tlog.py can compare offerledger's Python code against them.
//
// Input (stdin), one JSON object; every byte string is hex:
//
//	{"cases": [{
//	    "leaves": ["<leaf data>", ...],
//	    "tree_hashes": [n, ...],                              // tlog.TreeHash(n)
//	    "prove_records": [{"size": t, "index": n}, ...],       // tlog.ProveRecord(t, n)
//	    "prove_trees": [{"size": t, "old_size": n}, ...],      // tlog.ProveTree(t, n)
//	    "check_records": [{"size": t, "index": n, "leaf_hash": h, "root": r, "proof": [..]}],
//	    "check_trees": [{"size": t, "old_size": n, "root": r, "old_root": o, "proof": [..]}]
//	}],
//	 "notes": [{"note": "<signed note text>", "vkey": "<name>+<hex id>+<base64 key>"}],
//	 "sign": [{"text": "<note text>", "skey": "PRIVATE+KEY+<name>+<hex id>+<base64>"}]}
//
// Output (stdout): {"cases": [{"tree_hashes": [..], "record_proofs": [[..]], "tree_proofs":
// [[..]], "check_records": [{"ok": bool, "error": ".."}], "check_trees": [..]}], "notes":
// [{"ok": bool, "error": "..", "text": "..", "signers": [".."]}], "sign": [{"note": ".."}]}.
// A request Go refuses (a proof it cannot make) is answered with null / an error string.
//
// Build offline against Debian's golang-golang-x-mod-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tlog_check tlog_check.go
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proveRecord struct {
	Size  int64 `json:"size"`
	Index int64 `json:"index"`
}

type proveTree struct {
	Size    int64 `json:"size"`
	OldSize int64 `json:"old_size"`
}

type checkRecord struct {
	Size     int64    `json:"size"`
	Index    int64    `json:"index"`
	LeafHash string   `json:"leaf_hash"`
	Root     string   `json:"root"`
	Proof    []string `json:"proof"`
}

type checkTree struct {
	Size    int64    `json:"size"`
	OldSize int64    `json:"old_size"`
	Root    string   `json:"root"`
	OldRoot string   `json:"old_root"`
	Proof   []string `json:"proof"`
}

type treeCase struct {
	Leaves       []string      `json:"leaves"`
	TreeHashes   []int64       `json:"tree_hashes"`
	ProveRecords []proveRecord `json:"prove_records"`
	ProveTrees   []proveTree   `json:"prove_trees"`
	CheckRecords []checkRecord `json:"check_records"`
	CheckTrees   []checkTree   `json:"check_trees"`
}

type noteRequest struct {
	Note string `json:"note"`
	Vkey string `json:"vkey"`
}

type signRequest struct {
	Text string `json:"text"`
	Skey string `json:"skey"`
}

type request struct {
	Cases []treeCase    `json:"cases"`
	Notes []noteRequest `json:"notes"`
	Sign  []signRequest `json:"sign"`
}

type verdict struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

type caseResult struct {
	TreeHashes   []*string  `json:"tree_hashes"`
	RecordProofs [][]string `json:"record_proofs"`
	TreeProofs   [][]string `json:"tree_proofs"`
	CheckRecords []verdict  `json:"check_records"`
	CheckTrees   []verdict  `json:"check_trees"`
}

type noteResult struct {
	OK      bool     `json:"ok"`
	Error   string   `json:"error,omitempty"`
	Text    string   `json:"text"`
	Signers []string `json:"signers"`
}

type signResult struct {
	Note  string `json:"note"`
	Error string `json:"error,omitempty"`
}

type response struct {
	Cases []caseResult `json:"cases"`
	Notes []noteResult `json:"notes"`
	Sign  []signResult `json:"sign"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlog_check: "+format+"\n", args...)
	os.Exit(2)
}

func decodeBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		fail("bad hex %q: %v", s, err)
	}
	return b
}

// decodeHash turns hex into a tlog.Hash; ok is false when it is not exactly 32 bytes.
func decodeHash(s string) (tlog.Hash, bool) {
	var h tlog.Hash
	b := decodeBytes(s)
	if len(b) != tlog.HashSize {
		return h, false
	}
	copy(h[:], b)
	return h, true
}

func decodeHashes(list []string) ([]tlog.Hash, bool) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, ok := decodeHash(s)
		if !ok {
			return nil, false
		}
		out[i] = h
	}
	return out, true
}

func encodeHashes(list []tlog.Hash) []string {
	out := make([]string, len(list))
	for i, h := range list {
		out[i] = hex.EncodeToString(h[:])
	}
	return out
}

// storedHashes lays the records out the way tlog stores them (tlog.StoredHashes per record).
func storedHashes(leaves []string) tlog.HashReaderFunc {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		for i, x := range indexes {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("stored hash %d not available", x)
			}
			out[i] = stored[x]
		}
		return out, nil
	})
	for n, leaf := range leaves {
		hashes, err := tlog.StoredHashes(int64(n), decodeBytes(leaf), reader)
		if err != nil {
			fail("StoredHashes(%d): %v", n, err)
		}
		stored = append(stored, hashes...)
	}
	return reader
}

func runCase(c treeCase) caseResult {
	reader := storedHashes(c.Leaves)
	res := caseResult{
		TreeHashes:   []*string{},
		RecordProofs: [][]string{},
		TreeProofs:   [][]string{},
		CheckRecords: []verdict{},
		CheckTrees:   []verdict{},
	}
	for _, n := range c.TreeHashes {
		h, err := tlog.TreeHash(n, reader)
		if err != nil {
			res.TreeHashes = append(res.TreeHashes, nil)
			continue
		}
		s := hex.EncodeToString(h[:])
		res.TreeHashes = append(res.TreeHashes, &s)
	}
	for _, p := range c.ProveRecords {
		proof, err := tlog.ProveRecord(p.Size, p.Index, reader)
		if err != nil {
			res.RecordProofs = append(res.RecordProofs, nil)
			continue
		}
		res.RecordProofs = append(res.RecordProofs, encodeHashes(proof))
	}
	for _, p := range c.ProveTrees {
		proof, err := tlog.ProveTree(p.Size, p.OldSize, reader)
		if err != nil {
			res.TreeProofs = append(res.TreeProofs, nil)
			continue
		}
		res.TreeProofs = append(res.TreeProofs, encodeHashes(proof))
	}
	for _, q := range c.CheckRecords {
		leaf, ok1 := decodeHash(q.LeafHash)
		root, ok2 := decodeHash(q.Root)
		proof, ok3 := decodeHashes(q.Proof)
		if !ok1 || !ok2 || !ok3 {
			res.CheckRecords = append(res.CheckRecords, verdict{Error: "not 32-byte hashes"})
			continue
		}
		err := tlog.CheckRecord(proof, q.Size, root, q.Index, leaf)
		res.CheckRecords = append(res.CheckRecords, toVerdict(err))
	}
	for _, q := range c.CheckTrees {
		root, ok1 := decodeHash(q.Root)
		old, ok2 := decodeHash(q.OldRoot)
		proof, ok3 := decodeHashes(q.Proof)
		if !ok1 || !ok2 || !ok3 {
			res.CheckTrees = append(res.CheckTrees, verdict{Error: "not 32-byte hashes"})
			continue
		}
		err := tlog.CheckTree(proof, q.Size, root, q.OldSize, old)
		res.CheckTrees = append(res.CheckTrees, toVerdict(err))
	}
	return res
}

func toVerdict(err error) verdict {
	if err != nil {
		return verdict{Error: err.Error()}
	}
	return verdict{OK: true}
}

func openNote(q noteRequest) noteResult {
	v, err := note.NewVerifier(q.Vkey)
	if err != nil {
		return noteResult{Error: "NewVerifier: " + err.Error(), Signers: []string{}}
	}
	n, err := note.Open([]byte(q.Note), note.VerifierList(v))
	if err != nil {
		return noteResult{Error: err.Error(), Signers: []string{}}
	}
	signers := []string{}
	for _, sig := range n.Sigs {
		signers = append(signers, sig.Name)
	}
	return noteResult{OK: true, Text: n.Text, Signers: signers}
}

func signNote(q signRequest) signResult {
	s, err := note.NewSigner(q.Skey)
	if err != nil {
		return signResult{Error: "NewSigner: " + err.Error()}
	}
	msg, err := note.Sign(&note.Note{Text: q.Text}, s)
	if err != nil {
		return signResult{Error: err.Error()}
	}
	return signResult{Note: string(msg)}
}

func main() {
	var req request
	dec := json.NewDecoder(os.Stdin)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		fail("bad request: %v", err)
	}
	resp := response{Cases: []caseResult{}, Notes: []noteResult{}, Sign: []signResult{}}
	for _, c := range req.Cases {
		resp.Cases = append(resp.Cases, runCase(c))
	}
	for _, q := range req.Notes {
		resp.Notes = append(resp.Notes, openNote(q))
	}
	for _, q := range req.Sign {
		resp.Sign = append(resp.Sign, signNote(q))
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		fail("writing the answer: %v", err)
	}
}
