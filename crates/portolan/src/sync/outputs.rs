//! Every output a sync writes whole: the built-in artifacts and the user
//! templates decided and rendered, each compared with the file on disk, and
//! the manifest that records them.

use super::*;

/// Every output a sync writes: built-in artifacts rendered when compared (so
/// only one is in memory at once), and user templates.
pub(super) struct Outputs<'r> {
    pub(super) files: Vec<(String, render::Job<'r>)>,
    /// The inputs with their digests, for the manifest.
    inputs: Vec<(String, String)>,
    /// Outputs of user templates, whose lines are never quoted in messages.
    from_templates: BTreeSet<String>,
}

/// What comparing the outputs found.
pub(super) struct Compared {
    pub(super) changes: Vec<Change>,
    pub(super) unchanged: usize,
    /// The manifest this sync writes.
    pub(super) manifest: Manifest,
}

impl Planner<'_> {
    /// Decides every output (built-ins, then user templates) and renders the
    /// templates; a template that cannot be read or rendered is a problem.
    pub(super) fn outputs<'r>(
        &mut self,
        registry: &'r Registry,
        rows: &'r [render::Row],
        engine: &dyn Fn() -> &'r Engine,
    ) -> Outputs<'r> {
        let mut files = render::artifact_jobs(registry, rows);
        files.retain(|(path, _)| self.claim_output(path, &registry.render.dir));
        let mut inputs = vec![(
            registry_rel(self.source),
            manifest::digest(self.source.text().as_bytes()),
        )];
        let mut from_templates = BTreeSet::new();
        for t in &registry.render.templates {
            if let Some(why) = self.in_git(&t.template.value) {
                self.located(
                    &t.template,
                    format!(
                        "template `{}` {why}; Portolan never reads there",
                        t.template.value
                    ),
                );
                continue;
            }
            let text = match self.read(&t.template.value) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    self.located(
                        &t.template,
                        format!("template `{}` does not exist", t.template.value),
                    );
                    continue;
                }
                Err(message) => {
                    self.located(&t.template, message);
                    continue;
                }
            };
            inputs.push((t.template.value.clone(), manifest::digest(text.as_bytes())));
            for (path, scope) in render::expand(registry, &t.output.value) {
                if !self.claim_output(&path, &t.output) {
                    continue;
                }
                match engine().render_file(&t.template.value, &text, &scope) {
                    Ok(contents) => {
                        from_templates.insert(path.clone());
                        files.push((path, Box::new(move || contents)));
                    }
                    Err(message) => self.located(
                        &t.template,
                        format!("{}: rendering {path}: {message}", t.template.value),
                    ),
                }
            }
        }
        inputs.sort();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        Outputs {
            files,
            inputs,
            from_templates,
        }
    }

    /// The manifest the last sync left, if any.
    pub(super) fn previous_manifest(&mut self, manifest_path: &str) -> Option<Manifest> {
        match self.read(manifest_path) {
            Ok(Some(text)) => Some(Manifest::parse(&text)),
            Ok(None) => None,
            Err(message) => {
                let problem = self.in_file(manifest_path, None, message);
                self.problems.push(problem);
                None
            }
        }
    }

    /// Renders each output in turn and compares it with the file on disk,
    /// then the manifest that records them.
    pub(super) fn compare_outputs(
        &mut self,
        outputs: Outputs<'_>,
        manifest_path: &str,
        previous: Option<&Manifest>,
    ) -> Compared {
        // Files the last sync wrote, with what it wrote: only a file that
        // still holds that may be replaced.
        let recorded: BTreeSet<(String, String)> = previous
            .iter()
            .flat_map(|m| m.files.iter().cloned())
            .collect();
        let mut found = Compared {
            changes: Vec::new(),
            unchanged: 0,
            manifest: Manifest {
                inputs: outputs.inputs,
                files: Vec::with_capacity(outputs.files.len()),
                edits: Vec::new(),
            },
        };
        let mut written = Vec::with_capacity(outputs.files.len());
        for (path, render) in outputs.files {
            let contents = render();
            written.push((path.clone(), manifest::digest(contents.as_bytes())));
            let file = File { path, contents };
            self.compare(
                file,
                manifest_path,
                &recorded,
                &outputs.from_templates,
                &mut found,
            );
        }
        found.manifest.files = written;
        if !found.manifest.files.is_empty() || previous.is_some() {
            let file = File {
                path: manifest_path.to_owned(),
                contents: found.manifest.render(),
            };
            self.compare(
                file,
                manifest_path,
                &recorded,
                &outputs.from_templates,
                &mut found,
            );
        }
        found
    }

    /// One rendered output against the file on disk.
    fn compare(
        &mut self,
        file: File,
        manifest_path: &str,
        recorded: &BTreeSet<(String, String)>,
        from_templates: &BTreeSet<String>,
        found: &mut Compared,
    ) {
        let listed = |path: &str| {
            recorded
                .range((path.to_owned(), String::new())..)
                .next()
                .is_some_and(|(p, _)| p == path)
        };
        match self.read_unless_same(&file.path, &file.contents) {
            Ok(Same::Yes) => found.unchanged += 1,
            Ok(Same::No(Some(old))) if old == file.contents => found.unchanged += 1,
            Ok(Same::No(Some(old)))
                if file.path != manifest_path
                    && !recorded
                        .contains(&(file.path.clone(), manifest::digest(old.as_bytes()))) =>
            {
                let message = match listed(&file.path) {
                    false => format!(
                        "exists and was not written by Portolan (`{manifest_path}` does not list it); Portolan does not replace it: move it away, or delete it so that ports.yaml owns it"
                    ),
                    true => "no longer holds what Portolan wrote there (it was edited, or merged); Portolan does not replace changes it did not make: delete it, and sync writes it again".to_owned(),
                };
                self.about(&file.path, message);
            }
            Ok(Same::No(old)) => {
                let reasons = vec![match &old {
                    // The line of the first difference, for editors and CI annotations.
                    Some(old) if file.path != manifest_path => {
                        first_difference(old, &file.contents, !from_templates.contains(&file.path))
                    }
                    // Hashes say nothing to a reader: name the inputs that changed.
                    Some(old) if file.path == manifest_path => {
                        let before = Manifest::parse(old);
                        let after = Manifest::parse(&file.contents);
                        let changed: Vec<&str> = after
                            .inputs
                            .iter()
                            .filter(|i| !before.inputs.contains(i))
                            .map(|(path, _)| path.as_str())
                            .collect();
                        Reason::whole(match changed.is_empty() {
                            true => "stale: lists other files".to_owned(),
                            false => format!("stale: records an earlier {}", changed.join(", ")),
                        })
                    }
                    _ => Reason::whole("missing"),
                }];
                found.changes.push(Change {
                    kind: if old.is_some() {
                        ChangeKind::Update
                    } else {
                        ChangeKind::Create
                    },
                    path: file.path,
                    artifact: true,
                    old,
                    new: Some(file.contents),
                    reasons,
                });
            }
            Err(message) => {
                let problem = self.in_file(&file.path, None, message);
                self.problems.push(problem);
            }
        }
    }
}
