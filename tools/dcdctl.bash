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
# "KIND VERB WORD SPEC": WORD is an option (SPEC its value, "" for a flag),
# "@" for a positional argument after the device (SPEC what it is), or "!"
# for a verb that takes no device (monitor). KIND is mirror, dcd, "-" (a
# verb of any device, such as examine) or, for a synopsis with an option in
# the device's place (assemble --scan), that option.
_dcdctl_table() {
	"$1" --help 2>/dev/null | awk '
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
		print row, verb, "-", "-"
		# options right after the verb: no device; else a word after
		# the device that is no option: a positional
		if (NF == 2 || $3 ~ /^\[/)
			print row, verb, "!", "-"
		else if (NF >= 4 && $4 !~ /^[[-]/)
			print row, verb, "@", $4
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
			print row, verb, w, (v == "" ? "-" : v)
		}
	}' | awk '!seen[$0]++'
}

# _dcdctl_block_devices PREFIX: block devices whose path starts with PREFIX,
# and the directories that hold some (/dev/disk/, /dev/mapper/, a volume
# group's), to go down into.
_dcdctl_block_devices() {
	local f g
	while IFS= read -r f; do
		if [[ -b $f ]]; then
			printf '%s\n' "$f"
		elif [[ -d $f && ! -L $f ]]; then
			[[ $f == /dev/disk || $f == /dev/disk/* ]] && { printf '%s/\n' "$f"; continue; }
			for g in "$f"/*; do
				[[ -b $g ]] && { printf '%s/\n' "$f"; break; }
			done
		fi
	done < <(compgen -f -- "${1:-/dev/}" | sort)
}

# _dcdctl_devices KIND... [--new]: the existing devices of those kinds and,
# with --new, the first free name of each (what create and assemble take).
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
			[[ -b $f && ${f#"$prefix"} =~ ^[0-9]+$ ]] && printf '%s\n' "$f"
		done
		if ((new)); then
			for ((n = 0; n < 256; n++)); do
				[[ -e $prefix$n ]] || { printf '%s\n' "$prefix$n"; break; }
			done
		fi
	done
}

# _dcdctl_values SPEC CUR: the values of an option or positional described
# by SPEC ("DEV", "sync|async", "SIZE|off", "DEV|local|remote", "FILE",
# "PATH"): block devices for DEV, files for FILE and PATH, and the literal
# words.
_dcdctl_values() {
	local spec=$1 cur=$2 alt
	local -a alts
	IFS='|' read -r -a alts <<<"$spec"
	for alt in "${alts[@]}"; do
		if [[ $alt == DEV ]]; then
			_dcdctl_block_devices "$cur"
		elif [[ $alt == FILE || $alt == PATH ]]; then
			compgen -f -- "$cur"
		elif [[ $alt =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
			printf '%s\n' "$alt"
		fi
	done
}

_dcdctl() {
	local cmd=$1 cur prev kind verb table line i w early= first=3
	local -a words=() cands=() fields
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
	table=$(_dcdctl_table "$cmd")
	COMPREPLY=()

	if ((${#words[@]} == 2)); then
		mapfile -t cands < <(awk '$2 != "" { print $2 }' <<<"$table" | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "${cands[*]} --help --version" -- "$cur")
		return
	fi
	verb=${words[1]}
	# a verb without a device: its options start right after it
	awk -v v="$verb" '$2 == v && $3 == "!" { f = 1 } END { exit !f }' <<<"$table" && first=2
	if ((first == 3 && ${#words[@]} == 3)) && [[ $cur == -* ]]; then
		# the options that may come before the device: --json, and
		# those that stand in its place (--scan)
		mapfile -t cands < <(awk -v v="$verb" '$2 == v && ($3 == "--json" || $1 ~ /^--/) { print ($3 == "--json" ? $3 : $1) }' <<<"$table" | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "${cands[*]}" -- "$cur")
		return
	fi
	if ((first == 3 && ${#words[@]} == 3)); then
		if awk -v v="$verb" '$1 == "-" && $2 == v { f = 1 } END { exit !f }' <<<"$table"; then
			mapfile -t COMPREPLY < <(_dcdctl_block_devices "$cur")
		else
			local -a kinds
			mapfile -t kinds < <(awk -v v="$verb" '$2 == v && $1 != "-" { print $1 }' <<<"$table" | sort -u)
			case $verb in create | assemble) kinds+=(--new) ;; esac
			mapfile -t COMPREPLY < <(compgen -W "$(_dcdctl_devices "${kinds[@]}")" -- "$cur")
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
	# the rows of this verb: "WORD SPEC"
	local rows
	rows=$(awk -v k="$kind" -v v="$verb" '$1 == k && $2 == v && $3 != "-" { print $3, $4 }' <<<"$table")

	if [[ $cur == --*=* ]]; then
		# readline completes what follows the "="
		line=$(awk -v o="${cur%%=*}" '$1 == o { print $2 }' <<<"$rows")
		[[ -n $line && $line != - ]] &&
			mapfile -t COMPREPLY < <(compgen -W "$(_dcdctl_values "$line" "${cur#*=}")" -- "${cur#*=}")
		return
	fi
	if [[ $prev == --* ]]; then
		line=$(awk -v o="$prev" '$1 == o { print $2 }' <<<"$rows")
		if [[ -n $line && $line != - ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_dcdctl_values "$line" "$cur")" -- "$cur")
			[[ ${COMPREPLY[0]:-} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi
	fi
	if [[ $cur != -* ]] && ((${#words[@]} == 4)); then
		line=$(awk '$1 == "@" { print $2 }' <<<"$rows")
		if [[ -n $line ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_dcdctl_values "$line" "$cur")" -- "$cur")
			[[ ${COMPREPLY[0]:-} == */ ]] && compopt -o nospace 2>/dev/null
			return
		fi
	fi
	# the options not given yet (from the word after the verb: --scan and
	# the options of monitor stand where a device is)
	cands=()
	while read -r -a fields; do
		[[ ${fields[0]:-} == --* ]] || continue
		[[ " ${words[*]:2} $early " == *" ${fields[0]} "* || " ${words[*]:2} " == *" ${fields[0]}="* ]] &&
			continue
		cands+=("${fields[0]}")
	done <<<"$rows"
	mapfile -t COMPREPLY < <(compgen -W "${cands[*]}" -- "$cur")
}
complete -F _dcdctl dcdctl tools/dcdctl ./tools/dcdctl
