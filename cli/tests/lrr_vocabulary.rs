//! Raw `!LRR:` lines get the reference alarmdecoder library's `event_description`, the text a
//! JSON-relayed event of the same code carries: every code of every source the library
//! describes, decoded by the real binary and compared with the installed library's own tables
//! (pip `alarmdecoder`, in the test venv).

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// The library's descriptions, by source prefix and code, as its own lookup gives them.
const DUMP: &str = r#"
import importlib.util, json, os
base = importlib.util.find_spec("alarmdecoder").submodule_search_locations[0]
spec = importlib.util.spec_from_file_location("events", os.path.join(base, "messages", "lrr", "events.py"))
events = importlib.util.module_from_spec(spec)
spec.loader.exec_module(events)
out = {}
for prefix, source, table in (("CID", events.LRR_EVENT_TYPE.CID, events.LRR_CID_MAP),
                              ("DSC", events.LRR_EVENT_TYPE.DSC, events.LRR_DSC_MAP),
                              ("AD2", events.LRR_EVENT_TYPE.ALARMDECODER, events.LRR_ALARMDECODER_MAP)):
    out[prefix] = {str(code): events.get_event_description(source, code) for code in table}
print(json.dumps(out))
"#;

#[test]
fn raw_lrr_lines_use_the_reference_librarys_wording_for_every_code() {
    let Some(python) = support::tool("ALARMLAKE_TEST_PYTHON") else {
        return;
    };
    let dump = Command::new(&python).args(["-c", DUMP]).output().unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let library: BTreeMap<String, BTreeMap<u16, String>> =
        serde_json::from_slice(&dump.stdout).unwrap();
    let expected: Vec<(String, u16, String)> = library
        .iter()
        .flat_map(|(prefix, codes)| {
            codes
                .iter()
                .map(|(code, text)| (prefix.clone(), *code, text.clone()))
        })
        .collect();
    assert!(expected.len() >= 270, "{} codes", expected.len());

    // One raw line per code: `!LRR:<data>,<partition>,<PREFIX>_<qualifier><code>`.
    let input: String = expected
        .iter()
        .map(|(prefix, code, _)| format!("!LRR:001,1,{prefix}_1{code:03X}\n"))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_alarmlake"))
        .arg("decode")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let decoded: Vec<serde_json::Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(decoded.len(), expected.len());
    let differ: Vec<String> = expected
        .iter()
        .zip(&decoded)
        .filter(|((_, _, text), row)| row["event_description"] != text.as_str())
        .map(|((prefix, code, text), row)| {
            format!(
                "{prefix} {code:#05x}: {text:?} but {}",
                row["event_description"]
            )
        })
        .collect();
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
