//! Fetches the GraphiQL playground's assets from the npm registry at build time, so the
//! server can serve them itself and the playground works on a machine without internet.
//! Nothing is copied into the repository: the packages are pinned by version and by the
//! registry's sha512 integrity, and checked before use.
//!
//! Without npm (or without access to its registry) the build still succeeds: the server then
//! serves a page that says the playground was not bundled, and GraphQL itself is unaffected.
//! `PLAYGROUND_ASSETS_DIR` may point to a folder that already holds the four files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// (package@version, npm integrity, file inside the tarball, name served under /playground/)
const ASSETS: &[(&str, &str, &str, &str)] = &[
    (
        "graphiql@3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        "package/graphiql.min.js",
        "graphiql.min.js",
    ),
    (
        "graphiql@3.8.3",
        "sha512-cuPDYtXVKV86Pu5PHBX642Odi/uVEE2y1Jxq5rGO/Qy1G2lRp7ZZ7a/T30RzxhuLSWo9zUbzq0P3U49//H0Ugw==",
        "package/graphiql.min.css",
        "graphiql.min.css",
    ),
    (
        "react@18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        "package/umd/react.production.min.js",
        "react.production.min.js",
    ),
    (
        "react-dom@18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        "package/umd/react-dom.production.min.js",
        "react-dom.production.min.js",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PLAYGROUND_ASSETS_DIR");
    println!("cargo::rustc-check-cfg=cfg(playground_bundled)");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dir = out.join("playground");
    std::fs::create_dir_all(&dir).expect("create OUT_DIR/playground");

    let result = match std::env::var_os("PLAYGROUND_ASSETS_DIR") {
        Some(src) => copy_from(Path::new(&src), &dir),
        None => fetch_from_npm(&out, &dir),
    };
    match result {
        Ok(()) => println!("cargo:rustc-cfg=playground_bundled"),
        Err(why) => {
            println!("cargo:warning=GraphiQL playground not bundled: {why}");
            for (_, _, _, name) in ASSETS {
                std::fs::write(dir.join(name), b"").expect("write placeholder asset");
            }
        }
    }
}

fn copy_from(src: &Path, dir: &Path) -> Result<(), String> {
    for (_, _, _, name) in ASSETS {
        std::fs::copy(src.join(name), dir.join(name))
            .map_err(|e| format!("copying {name} from PLAYGROUND_ASSETS_DIR: {e}"))?;
    }
    Ok(())
}

fn fetch_from_npm(out: &Path, dir: &Path) -> Result<(), String> {
    if ASSETS
        .iter()
        .all(|(_, _, _, name)| non_empty(&dir.join(name)))
    {
        return Ok(());
    }
    let packs = out.join("npm-pack");
    std::fs::create_dir_all(&packs).map_err(|e| e.to_string())?;
    let mut packages: Vec<&str> = ASSETS.iter().map(|a| a.0).collect();
    packages.dedup();
    let output = Command::new("npm")
        .arg("pack")
        .arg("--json")
        .arg("--silent")
        .args(&packages)
        .current_dir(&packs)
        .output()
        .map_err(|e| format!("running npm: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "npm pack failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let report = String::from_utf8_lossy(&output.stdout);
    for (package, integrity, member, name) in ASSETS {
        if !report.contains(integrity) {
            return Err(format!(
                "{package}: the registry's integrity does not match the pinned one"
            ));
        }
        let (base, version) = package.rsplit_once('@').ok_or("bad package spec")?;
        let tarball = packs.join(format!("{base}-{version}.tgz"));
        let extracted = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-O")
            .arg(member)
            .output()
            .map_err(|e| format!("running tar: {e}"))?;
        if !extracted.status.success() || extracted.stdout.is_empty() {
            return Err(format!("{member} missing from {}", tarball.display()));
        }
        std::fs::write(dir.join(name), &extracted.stdout).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.len() > 0)
        .unwrap_or(false)
}
