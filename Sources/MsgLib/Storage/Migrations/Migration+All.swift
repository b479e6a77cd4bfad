extension Migration {
    /// Every migration, in order.
    package static let all: [Migration] = [
        uuidV7Function,
        users,
        conversations,
        messages,
        pushSubscriptions,
        admins,
        conversationTrigger,
        readTrigger,
        deleteTrigger,
        senderTimeIndex,
        messageNotifyTrigger,
        searchVector,
        notificationOutbox,
        conversationActivityIndex,
        outboxClaimOrder,
        commitOrder,
        senderRateLimits,
        announceAfterCommit,
        pushRateLimits,
        userChanges,
        attachments,
    ]
}
