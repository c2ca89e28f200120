# SPDX-License-Identifier: GPL-2.0
# bash completion of dcdctl(8): verbs, options, their values and devices.
# Installed as /usr/share/bash-completion/completions/dcdctl; to try it from
# the checkout: `. tools/dcdctl.bash` (it completes tools/dcdctl too).
#
# Verbs and options come from `dcdctl --help`, the one place they are
# written: every synopsis line "    dcdctl VERB DEVICE [--opt VALUE]..." of a
# section named "... (/dev/dcdmirrorN)" or "... (/dev/dcdN)" gives the verb
# and options of that device kind, so new ones are completed without an edit
# here.

# _dcdctl_table DCDCTL: print the synopses of DCDCTL --help as lines
# "KIND VERB WORD SPEC": WORD is "-" (the verb itself), an option (SPEC its
# value, "-" for a flag), "@" for a positional argument after the device
# (SPEC what it is), or "!" for a verb that takes no device (monitor). KIND
# is mirror, dcd, "-" (a verb of any device, such as examine) or, for a
# synopsis with an option in the device's place (assemble --scan), that
# option.
_dcdctl_table() {
	"$1" --help 2>/dev/null | awk '
	# each row once
	function row_out(line) {
		if (!seen[line]++)
			print line
	}
	/^[^ ]/ {
		kind = "-"
		if ($0 ~ /\(\/dev\/dcdmirrorN\)/)
			kind = "mirror"
		else if ($0 ~ /\(\/dev\/dcdN\)/)
			kind = "dcd"
		syn = 0
		next
	}
	/^    dcdctl [a-z]/ {
		verb = $2
		syn = 1
		row = $3 ~ /^--[a-z]/ ? $3 : kind
		row_out(row " " verb " - -")
		# options right after the verb: no device; else a word after
		# the device that is no option: a positional
		if (NF == 2 || $3 ~ /^\[/)
			row_out(row " " verb " ! -")
		else if (NF >= 4 && $4 !~ /^[[-]/)
			row_out(row " " verb " @ " $4)
		words(3)
		next
	}
	/^         / && syn { words(1); next }
	{ syn = 0 }
	function words(from,    i, w, v) {
		for (i = from; i <= NF; i++) {
			w = $i
			gsub(/[][]/, "", w)
			if (w !~ /^--[a-z]/)
				continue
			v = ""
			if ($i !~ /\]$/ && i < NF && $(i + 1) !~ /^\[?--/) {
				v = $(i + 1)
				gsub(/[][]/, "", v)
			}
			row_out(row " " verb " " w " " (v == "" ? "-" : v))
		}
	}'
}

# _dcdctl_sorted_add WORD: put WORD in its place in the sorted array
# sorted of the caller, unless it is there already (what `sort -u` gives)
_dcdctl_sorted_add() {
	local i
	for ((i = 0; i < ${#sorted[@]}; i++)); do
		[[ ${sorted[i]} == "$1" ]] && return
		[[ ${sorted[i]} > "$1" ]] && break
	done
	sorted=("${sorted[@]:0:i}" "$1" "${sorted[@]:i}")
}

# The table of the dcdctl completed last, a row in each of _dcdctl_kinds,
# _dcdctl_verbs, _dcdctl_words and _dcdctl_specs, and its verbs sorted in
# _dcdctl_verb_list. It is read once per shell and dcdctl (_dcdctl_key):
# `dcdctl --help | awk` at every TAB is slow where a process start is. A
# dcdctl rebuilt with new verbs or options has them completed in a new shell.
_dcdctl_key=
_dcdctl_kinds=() _dcdctl_verbs=() _dcdctl_words=() _dcdctl_specs=()
_dcdctl_verb_list=()

# _dcdctl_load DCDCTL: the table of DCDCTL in those arrays
_dcdctl_load() {
	local key=$1 kind verb word spec IFS=$' \t\n'
	local -a sorted=()
	case $1 in
	/*) ;;
	*/*) key=$PWD/$1 ;;
	*) key=$1:$PATH ;;
	esac
	[[ $key == "$_dcdctl_key" ]] && return
	_dcdctl_key=
	_dcdctl_kinds=() _dcdctl_verbs=() _dcdctl_words=() _dcdctl_specs=()
	while read -r kind verb word spec; do
		_dcdctl_kinds+=("$kind")
		_dcdctl_verbs+=("$verb")
		_dcdctl_words+=("$word")
		_dcdctl_specs+=("$spec")
		_dcdctl_sorted_add "$verb"
	done < <(_dcdctl_table "$1")
	_dcdctl_verb_list=("${sorted[@]}")
	# no table (no dcdctl there yet) is asked for again at the next TAB
	((${#_dcdctl_kinds[@]})) && _dcdctl_key=$key
}

# _dcdctl_block_devices PREFIX: add to the array values of the caller the
# block devices whose path starts with PREFIX, and the directories that hold
# some (/dev/disk/, /dev/mapper/, a volume group's), to go down into.
_dcdctl_block_devices() {
	local f g
	while IFS= read -r f; do
		if [[ -b $f ]]; then
			values+=("$f")
		elif [[ -d $f && ! -L $f ]]; then
			[[ $f == /dev/disk || $f == /dev/disk/* ]] && { values+=("$f/"); continue; }
			for g in "$f"/*; do
				[[ -b $g ]] && { values+=("$f/"); break; }
			done
		fi
	done < <(compgen -f -- "${1:-/dev/}" | sort)
}

# _dcdctl_devices KIND... [--new]: add to values the existing devices of
# those kinds and, with --new, the first free name of each (what create and
# assemble take).
_dcdctl_devices() {
	local kind prefix f n new=0
	[[ " $* " == *" --new "* ]] && new=1
	for kind in "$@"; do
		case $kind in
		mirror) prefix=/dev/dcdmirror ;;
		dcd) prefix=/dev/dcd ;;
		*) continue ;;
		esac
		for f in "$prefix"[0-9]*; do
			[[ -b $f && ${f#"$prefix"} =~ ^[0-9]+$ ]] && values+=("$f")
		done
		if ((new)); then
			for ((n = 0; n < 256; n++)); do
				[[ -e $prefix$n ]] || { values+=("$prefix$n"); break; }
			done
		fi
	done
}

# _dcdctl_values SPEC CUR: add to values those of an option or positional
# described by SPEC ("DEV", "sync|async", "SIZE|off", "DEV|local|remote",
# "FILE", "PATH"): block devices for DEV, files for FILE and PATH, and the
# literal words.
_dcdctl_values() {
	local spec=$1 cur=$2 alt
	local -a alts
	IFS='|' read -r -a alts <<<"$spec"
	for alt in "${alts[@]}"; do
		if [[ $alt == DEV ]]; then
			_dcdctl_block_devices "$cur"
		elif [[ $alt == FILE || $alt == PATH ]]; then
			mapfile -t -O "${#values[@]}" values < <(compgen -f -- "$cur")
		elif [[ $alt =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
			values+=("$alt")
		fi
	done
}

# _dcdctl_compgen WORDLIST CUR: COMPREPLY is the words of WORDLIST that
# start with CUR (compgen -W; no subshell when there is none)
_dcdctl_compgen() {
	COMPREPLY=()
	[[ -z $1 ]] || mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# _dcdctl_reply CUR: COMPREPLY is those of values that start with CUR
_dcdctl_reply() {
	local list
	printf -v list '%s\n' "${values[@]}"
	_dcdctl_compgen "${list%$'\n'}" "$1"
}

# _dcdctl_spec WORD: line is the SPEC of WORD in the rows of the caller
# (rows_word, rows_spec), a line for each row of WORD
_dcdctl_spec() {
	local i
	line=
	for ((i = 0; i < ${#rows_word[@]}; i++)); do
		[[ ${rows_word[i]} == "$1" ]] && line+=${line:+$'\n'}${rows_spec[i]}
	done
}

_dcdctl() {
	local cmd=$1 cur prev kind verb line i w early='' first=3 any=0
	local -a words=() cands=() sorted=() values=() verb_rows=() rows_word=() rows_spec=()
	# put back together what bash split at "=" (--opt=VALUE)
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((i > 1)) && [[ $w == = || ${COMP_WORDS[i - 1]} == = ]]; then
			words[-1]+=$w
		else
			words+=("$w")
		fi
	done
	# "dcdctl detail --json DEVICE": without the option, DEVICE is the third word
	if ((${#words[@]} > 3)) && [[ ${words[2]} == --json ]]; then
		early=${words[2]}
		words=("${words[@]:0:2}" "${words[@]:3}")
	fi
	cur=${words[-1]}
	prev=
	((${#words[@]} > 1)) && prev=${words[-2]}
	command -v "$cmd" >/dev/null 2>&1 || cmd=dcdctl
	_dcdctl_load "$cmd"
	COMPREPLY=()

	if ((${#words[@]} == 2)); then
		_dcdctl_compgen "${_dcdctl_verb_list[*]} --help --version" "$cur"
		return
	fi
	verb=${words[1]}
	for ((i = 0; i < ${#_dcdctl_verbs[@]}; i++)); do
		[[ ${_dcdctl_verbs[i]} == "$verb" ]] && verb_rows+=("$i")
	done
	# a verb without a device: its options start right after it
	for i in "${verb_rows[@]}"; do
		[[ ${_dcdctl_words[i]} == "!" ]] && first=2
	done
	if ((first == 3 && ${#words[@]} == 3)) && [[ $cur == -* ]]; then
		# the options that may come before the device: --json, and
		# those that stand in its place (--scan)
		for i in "${verb_rows[@]}"; do
			if [[ ${_dcdctl_words[i]} == --json ]]; then
				_dcdctl_sorted_add --json
			elif [[ ${_dcdctl_kinds[i]} == --* ]]; then
				_dcdctl_sorted_add "${_dcdctl_kinds[i]}"
			fi
		done
		_dcdctl_compgen "${sorted[*]}" "$cur"
		return
	fi
	if ((first == 3 && ${#words[@]} == 3)); then
		for i in "${verb_rows[@]}"; do
			[[ ${_dcdctl_kinds[i]} == - ]] && any=1
		done
		if ((any)); then
			_dcdctl_block_devices "$cur"
			COMPREPLY=("${values[@]}")
		else
			for i in "${verb_rows[@]}"; do
				[[ ${_dcdctl_kinds[i]} == - ]] || _dcdctl_sorted_add "${_dcdctl_kinds[i]}"
			done
			case $verb in create | assemble) sorted+=(--new) ;; esac
			_dcdctl_devices "${sorted[@]}"
			_dcdctl_reply "$cur"
		fi
		[[ ${COMPREPLY[0]:-} == */ ]] && compopt -o nospace 2>/dev/null
		return
	fi

	case ${words[2]} in
	dcdmirror[0-9]* | /dev/dcdmirror[0-9]*) kind=mirror ;;
	dcd[0-9]* | /dev/dcd[0-9]*) kind=dcd ;;
	--*) kind=${words[2]%%=*} ;;
	*) kind=- ;;
	esac
	((first == 3)) || kind=-
	# the rows of this verb and kind: an option or "@", and its SPEC
	for i in "${verb_rows[@]}"; do
		[[ ${_dcdctl_kinds[i]} == "$kind" && ${_dcdctl_words[i]} != - ]] || continue
		rows_word+=("${_dcdctl_words[i]}")
		rows_spec+=("${_dcdctl_specs[i]}")
	done

	if [[ $cur == --*=* ]]; then
		# readline completes what follows the "="
		_dcdctl_spec "${cur%%=*}"
		if [[ -n $line && $line != - ]]; then
			_dcdctl_values "$line" "${cur#*=}"
			_dcdctl_reply "${cur#*=}"
		fi
		return
	fi
	if [[ $prev == --* ]]; then
		_dcdctl_spec "$prev"
		if [[ -n $line && $line != - ]]; then
			_dcdctl_values "$line" "$cur"
			_dcdctl_reply "$cur"
			[[ ${COMPREPLY[0]:-} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi
	fi
	if [[ $cur != -* ]] && ((${#words[@]} == 4)); then
		_dcdctl_spec @
		if [[ -n $line ]]; then
			_dcdctl_values "$line" "$cur"
			_dcdctl_reply "$cur"
			[[ ${COMPREPLY[0]:-} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi
	fi
	# the options not given yet (from the word after the verb: --scan and
	# the options of monitor stand where a device is)
	for w in "${rows_word[@]}"; do
		[[ $w == --* ]] || continue
		[[ " ${words[*]:2} $early " == *" $w "* || " ${words[*]:2} " == *" $w="* ]] &&
			continue
		cands+=("$w")
	done
	_dcdctl_compgen "${cands[*]}" "$cur"
}
complete -F _dcdctl dcdctl tools/dcdctl ./tools/dcdctl
