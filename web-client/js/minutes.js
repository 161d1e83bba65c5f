// Minutes the reporter approves (issue 13), in the reporter's mailbox.
//
// Minutes are approval requests with "subject": "minutes"
// (web-client/REPORT-CONTENT.md, "Approval request"): the mailbox reads,
// checks and answers them with the same code as a forward draft
// (mailbox.js: the subject hash recomputed here from what is shown, the
// attachments checked byte for byte before an approval, only the highest
// version of a draft answerable). This module holds what differs for
// minutes: their own words ("Minutes of our conversation — version 2",
// "Approve", "Send corrections"), corrections that must be written, and no
// withdrawal: an approved version stays approved, and after corrections
// the advisor issues a new version, which the reporter answers again.

import { text } from './common.js';

/**
 * How a minutes request is shown and answered: the texts, and which
 * answers may be given once `last` (the reporter's last answer to this
 * exact version, or undefined) is known.
 */
export function minutesView(data) {
  return {
    title: (version) => text(data, 'minutes-mailbox-title', { version }),
    intro: (advisor) => text(data, 'minutes-mailbox-intro', { advisor }),
    textHeading: () => text(data, 'minutes-mailbox-text'),
    // Any answer settles a version: approved stays approved; after
    // corrections a new version follows.
    decisions: (last) => (last ? [] : ['approve', 'decline']),
    button: (decision) => text(data, `minutes-mailbox-${decision}`),
    commentLabel: () => text(data, 'minutes-mailbox-comment'),
    // Corrections are the point of declining minutes: never empty.
    commentMissing: () => text(data, 'minutes-mailbox-comment-required'),
    state: (decision, day) => text(data, `minutes-mailbox-state-${decision}`, { day }),
    own: (decision, version) => text(data, `minutes-mailbox-own-${decision}`, { version }),
    sent: (decision) => text(data, `minutes-mailbox-sent-${decision}`),
    superseded: () => text(data, 'minutes-mailbox-superseded'),
  };
}
