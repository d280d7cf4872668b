//! `host`: the suites on this machine's kernel, through cargo-nextest ([`crate::nextest`]).
//!
//! check: cargo-nextest (and, for nobody, root and setpriv). prepare: the test binaries the
//! build made are recorded and pinned, so nextest runs exactly those and never builds
//! again. run: one nextest run per user, read back from its JUnit.

use anyhow::Result;

use crate::model::{ColumnRun, Phases, User};
use crate::nextest::{self, Prebuilt};
use crate::target::{Ctx, Job, PrepareInput, Target, TargetKind, TargetSpec, Traits, failed_columns};

pub struct Kind;
pub static KIND: Kind = Kind;

impl TargetKind for Kind {
    fn name(&self) -> &'static str {
        "host"
    }

    fn usage(&self) -> String {
        "host".into()
    }

    fn parse(&self, s: &str) -> Option<Result<TargetSpec, String>> {
        (s == "host").then(|| Ok(TargetSpec::new("host", "host")))
    }

    fn create(&self, spec: &TargetSpec) -> Box<dyn Target> {
        Box::new(Host { spec: spec.clone(), prebuilt: None })
    }
}

pub struct Host {
    spec: TargetSpec,
    /// The binaries recorded after the build (None: nextest builds them itself).
    prebuilt: Option<Prebuilt>,
}

impl Target for Host {
    fn spec(&self) -> &TargetSpec {
        &self.spec
    }

    fn traits(&self) -> Traits {
        Traits { on_host_kernel: true, length_rank: 2, needs_bundle: false }
    }

    fn check(&mut self, _ctx: &Ctx, users: &[User], _phases: &mut Phases) -> Result<()> {
        nextest::preflight(users)
    }

    fn prepare(&mut self, ctx: &Ctx, input: &PrepareInput, _phases: &mut Phases) -> Result<()> {
        if let Some(p) = input.pinned {
            self.prebuilt = Some(p.clone());
            return Ok(());
        }
        match nextest::prebuild(ctx.workspace, input.built_suites, ctx.log_dir) {
            Ok(p) => self.prebuilt = Some(p),
            Err(e) => ctx.progress.say(&format!("note: the host target will build again itself ({e:#})")),
        }
        Ok(())
    }

    fn run(&self, ctx: &Ctx, job: &Job) -> Result<Vec<ColumnRun>> {
        Ok(job
            .users
            .iter()
            .map(|&u| {
                nextest::run(ctx.workspace, job.plan, job.whole_suites, u, self.prebuilt.as_ref(), ctx.log_dir, ctx.progress)
                    .unwrap_or_else(|e| failed_columns(self, job.plan, &[u], &format!("{e:#}")).remove(0))
            })
            .collect())
    }

    fn kernel(&self) -> (Option<String>, Option<String>) {
        (Some(crate::util::host_release()), None)
    }
}
