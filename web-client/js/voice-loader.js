// The voice message's place on the report form and in the mailbox: a
// "Record a voice message" button under the attachments, and the list of
// recordings added so far. The recorder itself (js/voice.js, its own
// bundle) is loaded only when the reporter presses the button, with its
// integrity checked by the browser like every script of the page, so a
// page that never records never downloads it.
//
// A recording is added as a File (type audio/webm, name
// spraakbericht-YYYY-MM-DD.webm): the page seals and sends it through its
// ordinary attachment code, with the files the reporter picked.

/** A text of the recorder, from the page data's `voice.texts`. */
function voiceText(voice, id, args = {}) {
  const template = voice.texts?.[id] ?? id;
  return template.replace(/\{\s*\$([a-z_]+)\s*\}/g, (_, name) => String(args[name] ?? ''));
}

let loading = null;

/** Loads js/voice.js once, by a script element carrying its integrity. */
function loadRecorder(voice) {
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.type = 'module';
      script.src = voice.url;
      script.integrity = voice.integrity;
      script.addEventListener('load', () => resolve(import(voice.url)));
      script.addEventListener('error', () => reject(new Error('voice.js did not load')));
      document.head.append(script);
    });
    // A failed load may be retried by the next press.
    loading.catch(() => {
      loading = null;
    });
  }
  return loading;
}

/**
 * Offers voice messages after `after` (the attachments field) when the
 * tenant allows them. `purpose` is 'report' or 'message' (the wording of
 * the "add" button). Returns { files(), clear() }: the recordings added and
 * not removed, and a way to forget them once sent.
 */
export function offerVoice(data, after, purpose) {
  const voice = data.voice;
  const recordings = [];
  const none = { files: () => [], clear: () => {} };
  if (!voice || voice.enabled === false || !voice.url || !after) return none;

  const box = document.createElement('div');
  box.className = 'voice';
  const open = document.createElement('button');
  open.type = 'button';
  open.id = 'voice-open';
  open.className = 'button';
  open.textContent = voiceText(voice, 'voice-open');
  const list = document.createElement('ul');
  list.id = 'voice-list';
  list.className = 'file-list';
  const status = document.createElement('p');
  status.id = 'voice-list-status';
  status.setAttribute('role', 'status');
  const region = document.createElement('div');
  region.id = 'voice-recorder';
  const failed = document.createElement('p');
  failed.id = 'voice-load-error';
  failed.className = 'field-error';
  failed.setAttribute('role', 'alert');
  failed.tabIndex = -1;
  failed.hidden = true;
  box.append(open, failed, region, list, status);
  after.after(box);

  const showList = () => {
    list.replaceChildren(
      ...recordings.map((file, index) => {
        const item = document.createElement('li');
        const remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'button button--small';
        remove.textContent = voiceText(voice, 'voice-remove');
        remove.setAttribute('aria-label', voiceText(voice, 'voice-remove-named', { name: file.name }));
        remove.addEventListener('click', () => {
          recordings.splice(index, 1);
          showList();
          status.textContent = voiceText(voice, 'voice-removed', { name: file.name });
          open.focus();
        });
        item.append(`${file.name} `, remove);
        return item;
      }),
    );
  };

  /** spraakbericht-YYYY-MM-DD.webm (the reporter's local day), numbered when taken. */
  const fileName = () => {
    const now = new Date();
    const day = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
    const taken = new Set(recordings.map((f) => f.name));
    let name = `spraakbericht-${day}.webm`;
    for (let n = 2; taken.has(name); n += 1) name = `spraakbericht-${day}-${n}.webm`;
    return name;
  };

  open.addEventListener('click', async () => {
    failed.hidden = true;
    open.disabled = true;
    try {
      const recorder = await loadRecorder(voice);
      open.hidden = true;
      recorder.openRecorder(region, {
        text: (id, args) => voiceText(voice, id, args),
        disguiseRequired: voice.disguise !== 'optional',
        purpose,
        onAdd: (blob) => {
          const file = new File([blob], fileName(), { type: 'audio/webm' });
          recordings.push(file);
          showList();
          status.textContent = voiceText(voice, 'voice-added', { name: file.name });
        },
        onClose: () => {
          open.hidden = false;
          open.focus();
        },
      });
    } catch {
      failed.textContent = voiceText(voice, 'voice-error-failed');
      failed.hidden = false;
      failed.focus();
    } finally {
      open.disabled = false;
    }
  });

  return {
    files: () => [...recordings],
    clear: () => {
      recordings.length = 0;
      showList();
      status.textContent = '';
    },
  };
}
