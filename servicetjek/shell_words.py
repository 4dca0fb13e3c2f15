"""Streamlit's own English in the page's language: a small script in the page shell.

Streamlit draws some words itself and offers no way to translate them: names only a screen
reader reads out ("Collapse sidebar", "Running..."), the date fields' help and the dialog
shown when the connection to the server is lost (which the app cannot draw: it has no
connection). The shell (servicetjek.front.shell_html) carries a MutationObserver that swaps
these words for ours from content/<lang>/ui.toml [streamlit], in the page's language.

The page's language comes from the app: the frame's style sets the CSS variable --page-lang
(servicetjek.ui.common.page_style); before the first run it is the `lang` query parameter,
else Danish. The script also sets <html lang> and the browser's reported language, which
Streamlit hands to its date picker: the calendar follows the app's language (da-DK weeks
start on Monday), not the browser's.
"""

from __future__ import annotations

import json

from servicetjek.content import LANGUAGES
from servicetjek.i18n import t

# ui.toml key under [streamlit] -> Streamlit 1.67's own English (static/js, by search).
STREAMLIT_WORDS = {
    "collapse_sidebar": "Collapse sidebar",
    "expand_sidebar": "Expand sidebar",
    "sidebar": "Sidebar",
    "running": "Running...",
    "main_menu": "Main menu",
    "app_pages": "App pages",
    "home_page": "Navigate to home page",
    "notifications": "Notifications",
    "close": "Close",
    "scroll_left": "Scroll tabs left",
    "scroll_right": "Scroll tabs right",
    "connecting": "Connecting to Streamlit server",
    "cannot_connect": "Unable to connect to Streamlit server",
    "connection_error": "Connection error",
    "not_running": "Is Streamlit still running? If you accidentally stopped Streamlit, just restart it in your "
                   "terminal:",
    "not_responding": "Streamlit server is not responding. Are you connected to the internet?",
    "choose_date": "Choose date",
    "choose_dates": "Choose date range",
    "clear_date": "Clear date",
    "clear_dates": "Clear dates",
    "clear_time": "Clear time",
    "clear_value": "Clear value",
    "clear_all": "Clear all",
    "date_keys": "Use arrow keys to navigate dates. Enter to select. Escape to close.",
    "quick_dates": "Quick select a date range",
    "date_range": "Date range",
    "increment": "Increment",
    "decrement": "Decrement",
    "selected_values": "Selected values",
    "open": "Open",
    "heading_link": "Link to heading",
    "skip_to_main": "Skip to main content",
}
# A range field's two halves are named "<label> start date" and "<label> end date".
STREAMLIT_SUFFIXES = {"start_date": " start date", "end_date": " end date"}
# The connection error's terminal command ("streamlit run yourscript.py") is hidden.
STREAMLIT_HIDDEN = ("streamlit run yourscript.py",)
LOCALES = {"da": "da-DK", "en": "en-GB"}

_SCRIPT = """(()=>{
const words=__WORDS__,suffixes=__SUFFIXES__,hidden=__HIDDEN__,locales=__LOCALES__;
const root=document.documentElement,known=new Map();
for(const e of words)for(const v of Object.values(e))known.set(v,e);
let lang=new URLSearchParams(location.search).get("lang")==="en"?"en":"da";
root.lang=lang;
const say=t=>{const e=known.get(t);if(e)return e[lang];
for(const s of suffixes)for(const v of Object.values(s))if(t.endsWith(v))return t.slice(0,-v.length)+s[lang];
return t};
const mine='[data-testid="stMarkdownContainer"],[data-testid="stHtml"],[data-testid="stCode"]';
const fix=n=>{if(n.nodeType===3){const p=n.parentElement,s=n.data.trim();if(!s||!p)return;
if(hidden.includes(s)){(p.closest("pre")||p).hidden=true;return}
if(p.closest(mine))return;const r=say(s);if(r!==s)n.data=r;return}
if(n.nodeType===1)for(const a of["aria-label","title"]){const v=n.getAttribute(a);
if(v){const r=say(v);if(r!==v)n.setAttribute(a,r)}}};
const walk=n=>{fix(n);if(n.nodeType!==1)return;const w=document.createTreeWalker(n,5);
while(w.nextNode())fix(w.currentNode)};
const read=()=>{const v=getComputedStyle(root).getPropertyValue("--page-lang").replace(/\\W/g,"");
if(locales[v]&&v!==lang){lang=v;root.lang=v;if(document.body)walk(document.body)}};
Object.defineProperty(navigator,"language",{configurable:true,get:()=>locales[lang]});
Object.defineProperty(navigator,"languages",{configurable:true,get:()=>[locales[lang]]});
new MutationObserver(ms=>{read();for(const m of ms)if(m.type==="childList")m.addedNodes.forEach(walk);
else fix(m.target)}).observe(root,{subtree:true,childList:true,characterData:true,attributes:true,
attributeFilter:["aria-label","title"]});
})();"""


def _variants(key: str, streamlit: str) -> dict[str, str]:
    return {"streamlit": streamlit, **{lang: t(f"streamlit.{key}", lang) for lang in LANGUAGES}}


def translation_script() -> str:
    """The shell's script with the words filled in (JSON, so no word can end the script)."""
    words = [_variants(key, text) for key, text in STREAMLIT_WORDS.items()]
    suffixes = [_variants(key, text) for key, text in STREAMLIT_SUFFIXES.items()]

    def js(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")

    return (_SCRIPT.replace("__WORDS__", js(words)).replace("__SUFFIXES__", js(suffixes))
            .replace("__HIDDEN__", js(list(STREAMLIT_HIDDEN))).replace("__LOCALES__", js(LOCALES)))
