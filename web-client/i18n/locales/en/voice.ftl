# Voice messages on the report form and in the mailbox
# (web-client/js/voice-loader.js and js/voice.js), and their playback in the
# advisor console (keys/src/console/voice.rs). Plain language (B1).

## Reporter
voice-open = Record a voice message
voice-title = Voice message
voice-explain = You can also say what you want to tell. Your browser records it and encrypts it, like an attachment. Disguising makes your voice harder to recognise, not impossible: your choice of words, your accent and the sounds in the background can still be heard.
voice-disguise = Disguise my voice
voice-disguise-required = This reporting channel disguises every recording. Your own voice is not recorded.
voice-disguise-optional = With disguise, your own voice is not recorded. You can turn it off if you want to be recognised.
voice-start = Start recording
voice-stop = Stop recording
voice-close = Close
voice-recording = Recording: { $elapsed } (at most { $max }).
voice-stopped = Recording stopped after { $elapsed }. Listen below.
voice-limit-reached = The recording stopped after { $elapsed }: it cannot be longer. Listen below.
voice-recorded = Your recording (this is how the advisor will hear it):
voice-listen = Listen to your recording
voice-discard = Discard
voice-discarded = The recording was discarded.
voice-add-report = Add to my report
voice-add-message = Add to my message
voice-added = { $name } was added. It is sent encrypted with your report or message.
voice-remove = Remove
voice-remove-named = Remove { $name }
voice-removed = { $name } was removed.
voice-error-unsupported = This browser cannot record sound. Use a recent version of Firefox, Chrome, Edge or Safari, or write your report.
voice-error-denied = The browser may not use the microphone. Allow it in your browser's settings (usually via the padlock next to the address) and try again.
voice-error-no-microphone = No microphone was found. Connect a microphone or headset and try again.
voice-error-failed = Recording did not work. Try again, or write your report.

## Console
voice-console-listen = Listen: { $name }
