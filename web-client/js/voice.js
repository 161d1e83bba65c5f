// The voice recorder (its own bundle, loaded by js/voice-loader.js only
// when the reporter asks for it): records from the microphone, disguises
// the voice in this browser, lets the reporter listen, and hands the
// recording to the page, which seals it like any attachment.
//
// The chain, all native Web Audio nodes (no AudioWorklet: a worklet is a
// script the page's policy would have to admit from somewhere):
//
//   microphone -> pitch shifter -> formant filters -> compressor
//              -> MediaStreamAudioDestinationNode -> MediaRecorder
//
// With disguise on, MediaRecorder only ever sees the processed stream: the
// raw voice is never recorded, so it cannot leave the browser. The pitch
// ratio is drawn per recording from [0.75, 0.85] or [1.2, 1.3] and kept in
// this function's memory only (never stored, never sent).
//
// The pitch shifter is the classic delay-line ("jungle") shifter: two delay
// lines whose delay time runs as a sawtooth, half a period apart, each
// heard only while its delay is in the middle of its sweep (an equal-power
// cross-fade). A delay that grows by D over a period T plays the input at
// 1 - D/T of its speed; one that shrinks, at 1 + D/T.

/** Longest recording, in seconds. */
const MAX_SECONDS = 600;
/** The shifter's period (seconds) and cross-fade length. */
const PERIOD = 0.1;
const FADE = 0.05;
/** Formant regions moved: cut where a voice has them, boost where it is moved to. */
const FORMANTS = [
  [500, 620],
  [1500, 1200],
  [2500, 2900],
];
const FORMANT_GAIN = 6;
const BITRATE = 32000;
const MIME = 'audio/webm;codecs=opus';

/** A uniform number in [0, 1) from the system's cryptographic random source. */
function random() {
  const word = new Uint32Array(1);
  crypto.getRandomValues(word);
  return word[0] / 2 ** 32;
}

/** The pitch ratio of one recording: lower or higher, never near 1. */
export function drawRatio() {
  const lower = random() < 0.5;
  const position = random();
  return lower ? 0.75 + 0.1 * position : 1.2 + 0.1 * position;
}

/** One period of the delay sweep: 0 -> 1 (ratio < 1) or 1 -> 0 (ratio > 1). */
function sweepBuffer(context, up) {
  const length = Math.round(PERIOD * context.sampleRate);
  const buffer = context.createBuffer(1, length, context.sampleRate);
  const samples = buffer.getChannelData(0);
  for (let i = 0; i < length; i += 1) samples[i] = up ? (length - i) / length : i / length;
  return buffer;
}

/** One period of a tap's loudness: rises over FADE, falls over the rest. */
function fadeBuffer(context) {
  const length = Math.round(PERIOD * context.sampleRate);
  const fade = Math.round(FADE * context.sampleRate);
  const buffer = context.createBuffer(1, length, context.sampleRate);
  const samples = buffer.getChannelData(0);
  for (let i = 0; i < length; i += 1) {
    samples[i] = i < fade ? Math.sqrt(i / fade) : Math.sqrt(Math.max(0, 1 - (i - fade) / (length - fade)));
  }
  return buffer;
}

/**
 * The pitch shifter by `ratio`: { input, output, stop() }.
 */
function pitchShifter(context, ratio) {
  const input = context.createGain();
  const output = context.createGain();
  const depth = Math.abs(1 - ratio) * PERIOD;
  const sweep = sweepBuffer(context, ratio > 1);
  const fade = fadeBuffer(context);
  const sources = [];
  const start = context.currentTime + 0.05;
  for (const offset of [0, PERIOD / 2]) {
    const delay = context.createDelay(1);
    delay.delayTime.value = 0;
    const modulator = context.createBufferSource();
    modulator.buffer = sweep;
    modulator.loop = true;
    const amount = context.createGain();
    amount.gain.value = depth;
    modulator.connect(amount).connect(delay.delayTime);
    const fader = context.createBufferSource();
    fader.buffer = fade;
    fader.loop = true;
    const mix = context.createGain();
    mix.gain.value = 0;
    fader.connect(mix.gain);
    input.connect(delay).connect(mix).connect(output);
    modulator.start(start + offset);
    fader.start(start + offset);
    sources.push(modulator, fader);
  }
  return {
    input,
    output,
    stop: () => sources.forEach((s) => s.stop()),
  };
}

/** The disguise chain after `source`, ending in `destination`. */
function disguise(context, source, destination, ratio) {
  const shifter = pitchShifter(context, ratio);
  source.connect(shifter.input);
  let last = shifter.output;
  for (const [from, to] of FORMANTS) {
    for (const [frequency, gain] of [
      [from, -FORMANT_GAIN],
      [to, FORMANT_GAIN],
    ]) {
      const filter = context.createBiquadFilter();
      filter.type = 'peaking';
      filter.frequency.value = frequency;
      filter.Q.value = 2;
      filter.gain.value = gain;
      last.connect(filter);
      last = filter;
    }
  }
  const compressor = context.createDynamicsCompressor();
  last.connect(compressor).connect(destination);
  return shifter;
}

/** "1:05" for 65 seconds. */
function clock(seconds) {
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Which translated error a failure to record is. */
function errorText(error) {
  if (error?.name === 'Unsupported') return 'voice-error-unsupported';
  if (error?.name === 'NotAllowedError' || error?.name === 'SecurityError') return 'voice-error-denied';
  if (error?.name === 'NotFoundError' || error?.name === 'OverconstrainedError') return 'voice-error-no-microphone';
  return 'voice-error-failed';
}

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key.startsWith('aria-') || key === 'role') node.setAttribute(key, value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

/**
 * Shows the recorder in `region` (an empty element of the page).
 * `options`: text(id, args), disguiseRequired, purpose ('report' |
 * 'message'), onAdd(blob), onClose().
 */
export function openRecorder(region, options) {
  const t = options.text;
  const title = element('h3', { id: 'voice-title', tabIndex: -1 }, t('voice-title'));
  const explain = element('p', { id: 'voice-explain', className: 'help' }, t('voice-explain'));
  const disguiseBox = element('input', {
    type: 'checkbox',
    id: 'voice-disguise',
    checked: true,
    disabled: options.disguiseRequired,
    'aria-describedby': 'voice-explain voice-disguise-help',
  });
  const disguiseField = element(
    'div',
    { className: 'field choice' },
    disguiseBox,
    element('label', { htmlFor: 'voice-disguise' }, t('voice-disguise')),
    element('p', { id: 'voice-disguise-help', className: 'help' }, t(options.disguiseRequired ? 'voice-disguise-required' : 'voice-disguise-optional')),
  );
  const startButton = element('button', { type: 'button', id: 'voice-start', className: 'button button--primary' }, t('voice-start'));
  const stopButton = element('button', { type: 'button', id: 'voice-stop', className: 'button button--primary', hidden: true }, t('voice-stop'));
  const closeButton = element('button', { type: 'button', id: 'voice-close', className: 'button' }, t('voice-close'));
  const elapsed = element('p', { id: 'voice-elapsed', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const error = element('p', { id: 'voice-error', className: 'field-error', role: 'alert', tabIndex: -1, hidden: true });
  const audio = element('audio', { id: 'voice-audio', controls: true, preload: 'metadata', 'aria-label': t('voice-listen') });
  const discardButton = element('button', { type: 'button', id: 'voice-discard', className: 'button' }, t('voice-discard'));
  const addButton = element(
    'button',
    { type: 'button', id: 'voice-add', className: 'button button--primary' },
    t(options.purpose === 'message' ? 'voice-add-message' : 'voice-add-report'),
  );
  const listen = element(
    'div',
    { id: 'voice-recorded', hidden: true },
    element('p', {}, t('voice-recorded')),
    audio,
    element('div', { className: 'actions' }, addButton, discardButton),
  );
  const controls = element('div', { className: 'actions' }, startButton, stopButton, closeButton);
  const box = element(
    'section',
    { className: 'voice-recorder', 'aria-labelledby': 'voice-title' },
    title,
    explain,
    disguiseField,
    controls,
    elapsed,
    error,
    listen,
  );
  region.replaceChildren(box);
  title.focus();

  /** The recording in progress: its stream, graph, recorder and timers. */
  let session = null;
  /** The finished recording waiting to be added or discarded. */
  let recorded = null;
  let url = null;

  const forgetRecording = () => {
    if (url) URL.revokeObjectURL(url);
    url = null;
    recorded = null;
    audio.removeAttribute('src');
    audio.load();
    listen.hidden = true;
  };

  const showError = (id) => {
    error.textContent = t(id);
    error.hidden = false;
    error.focus();
  };

  /** Ends a recording's timers, microphone and audio graph. */
  const release = (current) => {
    if (!current || current.released) return;
    current.released = true;
    clearInterval(current.ticker);
    clearTimeout(current.limit);
    current.stream.getTracks().forEach((track) => track.stop());
    current.shifter?.stop();
    current.context.close().catch(() => {});
  };

  const start = async () => {
    error.hidden = true;
    forgetRecording();
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === 'undefined' || !MediaRecorder.isTypeSupported(MIME) || typeof AudioContext === 'undefined') {
      showError('voice-error-unsupported');
      return;
    }
    startButton.disabled = true;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (failure) {
      startButton.disabled = false;
      showError(errorText(failure));
      return;
    }
    try {
      const context = new AudioContext();
      const source = context.createMediaStreamSource(stream);
      const destination = context.createMediaStreamDestination();
      const disguised = disguiseBox.checked || options.disguiseRequired;
      // The ratio lives only here, for this one recording.
      const shifter = disguised ? disguise(context, source, destination, drawRatio()) : null;
      if (!disguised) source.connect(destination);
      // Only the processed stream is recorded.
      const recorder = new MediaRecorder(destination.stream, { mimeType: MIME, audioBitsPerSecond: BITRATE });
      const chunks = [];
      recorder.addEventListener('dataavailable', (event) => {
        if (event.data.size > 0) chunks.push(event.data);
      });
      const began = performance.now();
      const current = { stream, context, shifter, recorder, chunks, began, reachedLimit: false, abandoned: false };
      session = current;
      recorder.addEventListener('stop', () => {
        const done = current;
        release(done);
        if (session === done) session = null;
        if (done.abandoned) return;
        stopButton.hidden = true;
        startButton.hidden = false;
        startButton.disabled = false;
        disguiseBox.disabled = options.disguiseRequired;
        const seconds = (performance.now() - done.began) / 1000;
        recorded = new Blob(done.chunks, { type: 'audio/webm' });
        url = URL.createObjectURL(recorded);
        audio.src = url;
        listen.hidden = false;
        elapsed.textContent = t(done.reachedLimit ? 'voice-limit-reached' : 'voice-stopped', { elapsed: clock(Math.min(seconds, MAX_SECONDS)) });
        audio.focus();
      });
      recorder.addEventListener('error', () => {
        current.abandoned = true;
        release(current);
        if (session === current) session = null;
        stopButton.hidden = true;
        startButton.hidden = false;
        startButton.disabled = false;
        showError('voice-error-failed');
      });
      await context.resume();
      recorder.start(1000);
      // Screen readers hear the time every 5 s, not every second.
      elapsed.textContent = t('voice-recording', { elapsed: clock(0), max: clock(MAX_SECONDS) });
      session.ticker = setInterval(() => {
        elapsed.textContent = t('voice-recording', { elapsed: clock((performance.now() - began) / 1000), max: clock(MAX_SECONDS) });
      }, 5000);
      session.limit = setTimeout(() => {
        if (session?.recorder.state === 'recording') {
          session.reachedLimit = true;
          session.recorder.stop();
        }
      }, MAX_SECONDS * 1000);
      disguiseBox.disabled = true;
      startButton.hidden = true;
      stopButton.hidden = false;
      stopButton.focus();
    } catch (failure) {
      stream.getTracks().forEach((track) => track.stop());
      if (session) {
        session.abandoned = true;
        release(session);
        session = null;
      }
      startButton.disabled = false;
      showError(errorText(failure));
    }
  };

  const stop = () => {
    if (session?.recorder.state === 'recording') session.recorder.stop();
  };

  const close = () => {
    if (session) {
      session.abandoned = true;
      if (session.recorder.state !== 'inactive') session.recorder.stop();
      release(session);
      session = null;
    }
    forgetRecording();
    region.replaceChildren();
    options.onClose();
  };

  startButton.addEventListener('click', start);
  stopButton.addEventListener('click', stop);
  closeButton.addEventListener('click', close);
  discardButton.addEventListener('click', () => {
    forgetRecording();
    elapsed.textContent = t('voice-discarded');
    startButton.focus();
  });
  addButton.addEventListener('click', () => {
    options.onAdd(recorded);
    forgetRecording();
    close();
  });
}
