function __msgrelay_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __msgrelay_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __msgrelay_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __msgrelay_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __msgrelay_parse_tokens -S
    set -l unparsed_tokens (__msgrelay_tokens -pc)
    switch $unparsed_tokens[1]
    case 'msgrelay'
        __msgrelay_parse_subcommand 0 'host=' 'port=' 'migrate' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __msgrelay_parse_subcommand -r 1 'version'
        end
    end
end

function __msgrelay_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __msgrelay_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __msgrelay_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __msgrelay_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__msgrelay_tokens -p)
    if test -z "$(__msgrelay_tokens -t)"
        set -l index (count (__msgrelay_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'msgrelay' -f
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay" host' -l 'host' -d 'Address to listen on (default: MSGRELAY_HOST or 127.0.0.1).' -rfka ''
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay" port' -l 'port' -d 'Port to listen on, 0 for any free port (default: MSGRELAY_PORT or 8080).' -rfka ''
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay" migrate' -l 'migrate' -d 'Apply pending database migrations before serving.'
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay" version' -l 'version' -d 'Show the version.'
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_positional "msgrelay" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'msgrelay' -n '__msgrelay_should_offer_completions_for_flags_or_options "msgrelay help" version' -l 'version' -d 'Show the version.'
