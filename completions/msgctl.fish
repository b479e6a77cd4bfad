function __msgctl_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __msgctl_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __msgctl_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __msgctl_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __msgctl_parse_tokens -S
    set -l unparsed_tokens (__msgctl_tokens -pc)
    switch $unparsed_tokens[1]
    case 'msgctl'
        __msgctl_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'list'
            __msgctl_parse_subcommand 0 'database-url=' 'as=' 'json' 'csv' 'no-formula-escape' 'unread' 'archived' 'user=' 'limit=' 'page=' 'version' 'h/help'
        case 'show'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'json' 'limit=' 'history' 'version' 'h/help'
        case 'search'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'json' 'csv' 'no-formula-escape' 'conversation=' 'before=' 'after=' 'limit=' 'version' 'h/help'
        case 'reply'
            __msgctl_parse_subcommand 2 'database-url=' 'as=' 'json' 'attachment=+' 'idempotency-key=' 'version' 'h/help'
        case 'edit'
            __msgctl_parse_subcommand 2 'database-url=' 'as=' 'version' 'h/help'
        case 'react'
            __msgctl_parse_subcommand 2 'database-url=' 'as=' 'json' 'remove' 'version' 'h/help'
        case 'read'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'all' 'version' 'h/help'
        case 'archive'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'version' 'h/help'
        case 'unarchive'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'version' 'h/help'
        case 'delete'
            __msgctl_parse_subcommand 1 'database-url=' 'as=' 'message=' 'yes' 'version' 'h/help'
        case 'db'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'migrate'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'no-progress' 'version' 'h/help'
            case 'status'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'csv' 'no-formula-escape' 'version' 'h/help'
            end
        case 'user'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'add'
                __msgctl_parse_subcommand 0 'database-url=' 'username=' 'display-name=' 'slug=' 'admin' 'if-not-exists' 'version' 'h/help'
            case 'list'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'csv' 'no-formula-escape' 'version' 'h/help'
            end
        case 'token'
            __msgctl_parse_subcommand 0 'database-url=' 'user=' 'ttl=' 'version' 'h/help'
        case 'vapid'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'generate'
                __msgctl_parse_subcommand 0 'json' 'version' 'h/help'
            end
        case 'push'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'test'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'csv' 'no-formula-escape' 'user=' 'version' 'h/help'
            end
        case 'slack'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'test'
                __msgctl_parse_subcommand 0 'database-url=' 'version' 'h/help'
            case 'status'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'version' 'h/help'
            case 'link'
                __msgctl_parse_subcommand 0 'database-url=' 'admin=' 'slack-user=' 'version' 'h/help'
            case 'unlink'
                __msgctl_parse_subcommand 0 'database-url=' 'slack-user=' 'version' 'h/help'
            case 'links'
                __msgctl_parse_subcommand 0 'database-url=' 'json' 'csv' 'no-formula-escape' 'version' 'h/help'
            end
        case 'stats'
            __msgctl_parse_subcommand 0 'database-url=' 'as=' 'json' 'since=' 'until=' 'version' 'h/help'
        case 'repl'
            __msgctl_parse_subcommand 0 'database-url=' 'as=' 'relay=' 'token=' 'version' 'h/help'
        case 'export'
            __msgctl_parse_subcommand 0 'database-url=' 'format=' 'conversation=' 'user=' 'since=' 'until=' 'include-deleted' 'include-history' 'output=' 'state=' 'wait' 'no-formula-escape' 'no-progress' 'version' 'h/help'
        case 'attachments'
            __msgctl_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'get'
                __msgctl_parse_subcommand 1 'database-url=' 'o/output=' 'version' 'h/help'
            case 'gc'
                __msgctl_parse_subcommand 0 'database-url=' 'no-progress' 'version' 'h/help'
            case 'purge'
                __msgctl_parse_subcommand 0 'database-url=' 'deleted-before=' 'no-progress' 'version' 'h/help'
            end
        case 'doctor'
            __msgctl_parse_subcommand 0 'database-url=' 'relay=' 'json' 'send' 'version' 'h/help'
        case 'tail'
            __msgctl_parse_subcommand 0 'database-url=' 'as=' 'relay=' 'token=' 'json' 'user=' 'version' 'h/help'
        case 'purge'
            __msgctl_parse_subcommand 0 'database-url=' 'deleted-before=' 'yes' 'version' 'h/help'
        case 'help'
            __msgctl_parse_subcommand -r 1 'version'
        end
    end
end

function __msgctl_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __msgctl_parse_subcommand -S -a positional_count
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

function __msgctl_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __msgctl_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__msgctl_tokens -p)
    if test -z "$(__msgctl_tokens -t)"
        set -l index (count (__msgctl_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'msgctl' -f
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'list' -d 'List conversations, most recent activity first.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'show' -d 'Print a conversation\'s transcript.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'search' -d 'Full-text search over every conversation (words, "phrases", or, -excluded).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'reply' -d 'Reply in a conversation, as an admin; the text comes from the argument or stdin.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'edit' -d 'Change the text of your own reply, within 15 minutes of sending it.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'react' -d 'Add (or with --remove, take back) your emoji reaction on a message, as an admin.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'read' -d 'Mark as read every message users sent in a conversation, or in all of them.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'archive' -d 'Archive a conversation (it leaves the default list).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'unarchive' -d 'Bring an archived conversation back.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'delete' -d 'Soft-delete a conversation\'s messages, or one message (they stay in the database).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'db' -d 'Manage the database schema.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'user' -d 'Add and list users.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'token' -d 'Print a signed bearer token (HS256, JWT_SECRET) for a user.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'vapid' -d 'Web Push (VAPID) keys.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'push' -d 'Web Push notifications.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'slack' -d 'Slack notifications, the installed Slack app, and the Slack users who act as admins.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'stats' -d 'Show the success metrics: messages per day, active conversations, unread backlog, time to first response.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'repl' -d 'Chat live in the terminal: see conversations, open one, read, reply, and watch messages arrive (default on a terminal).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'export' -d 'Export messages as JSON lines, CSV, mbox or Markdown; incrementally with --state (for cron).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'attachments' -d 'Attachment files: read one, remove unattached uploads and files of deleted messages.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'doctor' -d 'Check the installation: database, migrations, relay, JWT secret, VAPID keys, Slack, outbox, clock.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'tail' -d 'Print new messages as they arrive, one line each (or one JSON object per line), until interrupted.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'purge' -d 'Remove soft-deleted messages and their history for good.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" unread' -l 'unread' -d 'Only conversations with messages you have not read.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" archived' -l 'archived' -d 'Archived conversations instead of active ones.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" user' -l 'user' -d 'Only this user\'s conversation (username or id).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" limit' -l 'limit' -d 'Conversations per page (1-100).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" page' -l 'page' -d 'Page, from 1.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" limit' -l 'limit' -d 'The newest messages to show (1-200).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" history' -l 'history' -d 'Each message\'s earlier versions, deletions and restores: who, when, the text replaced.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" conversation' -l 'conversation' -d 'Only this conversation (id, id prefix or username).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" before' -l 'before' -d 'Only messages before this time (RFC 3339).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" after' -l 'after' -d 'Only messages after this time (RFC 3339).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" limit' -l 'limit' -d 'Results (1-100).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl search" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply"' -l 'attachment' -d 'An upload of the admin\'s (POST /api/attachments) to attach; repeat for more, up to 10.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" idempotency-key' -l 'idempotency-key' -d 'A key for this reply (1 to 255 visible ASCII characters): run again with it after a failure, it is written once.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl reply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl edit" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl edit" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl edit" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl edit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" remove' -l 'remove' -d 'Remove the reaction instead of adding it.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl react" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl read" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl read" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl read" all' -l 'all' -d 'Every conversation with unread messages.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl read" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl read" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl archive" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl archive" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl archive" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl archive" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl unarchive" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl unarchive" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl unarchive" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl unarchive" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" message' -l 'message' -d 'Delete this one message instead.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" yes' -l 'yes' -d 'Do not ask for confirmation.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl delete" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl db" -eq 1' -fa 'migrate' -d 'Apply every pending migration (idempotent; safe to run from several processes at once).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl db" -eq 1' -fa 'status' -d 'List the migrations, applied and pending.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db migrate" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db migrate" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db migrate" no-progress' -l 'no-progress' -d 'Show no progress line on standard error (it shows only when standard error is a terminal).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db migrate" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db migrate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl db status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl user" -eq 1' -fa 'add' -d 'Add a user and print its id.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl user" -eq 1' -fa 'list' -d 'List users, admins first.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" username' -l 'username' -d 'Unique login name.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" display-name' -l 'display-name' -d 'Name shown to others.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" slug' -l 'slug' -d 'URL slug (default: derived from the username, numbered when taken).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" admin' -l 'admin' -d 'Make the user an admin.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" if-not-exists' -l 'if-not-exists' -d 'Print the id of the existing user instead of failing when the username is taken.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl user list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl token" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl token" user' -l 'user' -d 'The user, by username or id.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl token" ttl' -l 'ttl' -d 'Seconds until the token expires.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl token" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl token" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl vapid" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl vapid" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl vapid" -eq 1' -fa 'generate' -d 'Print a new VAPID key pair as VAPID_PUBLIC_KEY= and VAPID_PRIVATE_KEY= lines (base64url, as web-push prints).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl vapid generate" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl vapid generate" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl vapid generate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl push" -eq 1' -fa 'test' -d 'Send a test notification to every push subscription of a user now, and say what happened to each.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" user' -l 'user' -d 'The user, by username or id.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl push test" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl slack" -eq 1' -fa 'test' -d 'Send a test message to the Slack channel (app mode) or webhook now.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl slack" -eq 1' -fa 'status' -d 'Show how Slack is configured and what the OAuth install stored, without secrets.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl slack" -eq 1' -fa 'link' -d 'Let a Slack user act as an admin (replies in threads, buttons, /msg).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl slack" -eq 1' -fa 'unlink' -d 'Stop a Slack user acting as an admin.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl slack" -eq 1' -fa 'links' -d 'List the Slack users linked to admins.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack test" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack test" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack test" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack status" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack status" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack status" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack link" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack link" admin' -l 'admin' -d 'The admin, by username or id.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack link" slack-user' -l 'slack-user' -d 'The Slack user id (U... or W...).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack link" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack link" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack unlink" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack unlink" slack-user' -l 'slack-user' -d 'The Slack user id (U... or W...).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack unlink" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack unlink" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" csv' -l 'csv' -d 'Print the table as CSV (RFC 4180, times in RFC 3339 UTC, a \' before fields that start like a formula).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" no-formula-escape' -l 'no-formula-escape' -d 'With --csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl slack links" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" json' -l 'json' -d 'Print JSON (stable field names, the same as the REST API).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" since' -l 'since' -d 'Start of the window: RFC 3339, or a span back from now such as 30d, 12h, 2w.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" until' -l 'until' -d 'End of the window (default: now), in the same forms.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl stats" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" relay' -l 'relay' -d 'The relay (default: MSGRELAY_URL, then http://127.0.0.1:8080).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" token' -l 'token' -d 'A bearer token for the relay (default: one made from JWT_SECRET for the admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl repl" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" format' -l 'format' -d 'jsonl, csv, mbox or markdown.' -rfka 'jsonl csv mbox markdown'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" conversation' -l 'conversation' -d 'Only this conversation: its id, an id prefix, or the user\'s username.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" user' -l 'user' -d 'Only messages sent by this user (username or id).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" since' -l 'since' -d 'Only messages created at or after this time: RFC 3339, or an age like 30d, 12h.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" until' -l 'until' -d 'Only messages created before this time: RFC 3339, or an age like 30d, 12h.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" include-deleted' -l 'include-deleted' -d 'Soft-deleted messages too (with their deleted_at).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" include-history' -l 'include-history' -d 'Each message\'s edits (the text replaced), deletions and restores, with who and when (jsonl, csv, markdown).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" output' -l 'output' -d 'Write to this file, atomically (default: standard output).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" state' -l 'state' -d 'Export only what is new since the last run with this state file.' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" wait' -l 'wait' -d 'With --state: wait for a run using the same state file to finish instead of exiting with status 75.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" no-formula-escape' -l 'no-formula-escape' -d 'With --format csv: write fields exactly, without the \' that keeps a spreadsheet from reading =, +, -, @ as a formula.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" no-progress' -l 'no-progress' -d 'Show no progress line on standard error (it shows only when standard error is a terminal).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl attachments" -eq 1' -fa 'get' -d 'Write an attachment\'s file to a file or stdout.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl attachments" -eq 1' -fa 'gc' -d 'Remove uploads never attached to a message (older than ATTACHMENT_PENDING_SECONDS, default 24 h).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_positional "msgctl attachments" -eq 1' -fa 'purge' -d 'Remove the files of messages deleted long enough ago.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments get" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments get" o output' -l 'output' -s 'o' -d 'Write here (default: stdout, never a terminal).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments get" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments get" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments gc" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments gc" no-progress' -l 'no-progress' -d 'Show no progress line on standard error (it shows only when standard error is a terminal).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments gc" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments gc" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments purge" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments purge" deleted-before' -l 'deleted-before' -d 'Messages deleted before this: an RFC 3339 time (2026-11-01T09:00:00Z) or a span back from now (30d, 12h, 90m, 2w).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments purge" no-progress' -l 'no-progress' -d 'Show no progress line on standard error (it shows only when standard error is a terminal).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments purge" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl attachments purge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" relay' -l 'relay' -d 'The relay (default: MSGRELAY_URL, then http://127.0.0.1:8080).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" json' -l 'json' -d 'Print one JSON object: status, and each check\'s name, status, detail and fix.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" send' -l 'send' -d 'Also post a test message to Slack (as msgctl slack test does).'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl doctor" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" as' -l 'as' -d 'The admin to act as (default: the only admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" relay' -l 'relay' -d 'The relay (default: MSGRELAY_URL, then http://127.0.0.1:8080).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" token' -l 'token' -d 'A bearer token for the relay (default: one made from JWT_SECRET for the admin).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" json' -l 'json' -d 'One JSON object per line: the REST API\'s message fields and conversation_user.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" user' -l 'user' -d 'Only the conversation of this user (username or id).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl tail" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl purge" database-url' -l 'database-url' -d 'libpq connection string or URI (default: DATABASE_URL, then PG* variables).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl purge" deleted-before' -l 'deleted-before' -d 'Messages deleted before this: an RFC 3339 time (2026-11-01T09:00:00Z) or a span back from now (30d, 12h, 90m, 2w).' -rfka ''
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl purge" yes' -l 'yes' -d 'Do not ask for confirmation.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl purge" version' -l 'version' -d 'Show the version.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl purge" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'msgctl' -n '__msgctl_should_offer_completions_for_flags_or_options "msgctl help" version' -l 'version' -d 'Show the version.'
