// Package shellword quotes argument vectors into one POSIX shell command line, for providers
// whose remote side takes a command as a string (`bash -c LINE`) rather than as words.
package shellword

import "strings"

// plain are the characters a word may hold and still need no quotes in any POSIX shell. '='
// is not among them: a bare NAME=value first word would be an assignment, not the command.
// (bash takes a first word that starts with '%' as a job, quoted or not: no quoting helps, and
// no command has such a name.)
const plain = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,@%+"

// reserved are the words made of plain characters that POSIX shells and bash take as syntax
// in a command's first position; they are always quoted.
var reserved = map[string]bool{
	"case": true, "coproc": true, "do": true, "done": true, "elif": true, "else": true, "esac": true,
	"fi": true, "for": true, "function": true, "if": true, "in": true, "select": true, "then": true,
	"time": true, "until": true, "while": true,
}

// Join quotes each word that needs it and joins them with spaces, so that a POSIX shell
// splits the line back into exactly words: nothing in it is expanded, substituted or taken
// as an operator. A word that needs quotes is put in single quotes, each single quote in it
// closed, backslash-escaped and reopened; the empty word is a pair of single quotes.
func Join(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = Quote(w)
	}
	return strings.Join(q, " ")
}

// Quote returns w as one shell word (see Join).
func Quote(w string) string {
	if w != "" && strings.Trim(w, plain) == "" && !reserved[w] {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
