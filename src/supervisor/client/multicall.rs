//! `system.multicall`, typed: several calls in one round trip, each with its own
//! typed result, as each command of mini-redis has its own type. The daemon runs the
//! calls in order and answers each with its raw value or its own fault (not wrapped
//! in one-element arrays, whatever its docstring says).

use super::methods::{MULTICALL, Method};
use crate::supervisor::error::{Error, Fault, FaultCode, Result};
use crate::xmlrpc::Value;
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// Calls gathered for one `system.multicall`.
#[derive(Debug, Default)]
pub struct Batch {
    calls: Vec<(&'static str, Vec<Value>)>,
}

/// Where one call's result will be in the [`Replies`] of its batch.
#[derive(Debug)]
pub struct Slot<M: Method> {
    index: usize,
    method: M,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Adds a call; its result is taken from the replies with the returned slot.
    pub fn add<M: Method>(&mut self, method: M) -> Slot<M> {
        self.calls.push((method.name(), method.params()));
        Slot {
            index: self.calls.len() - 1,
            method,
        }
    }

    /// The names of the methods in the batch, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.calls.iter().map(|(name, _)| *name)
    }

    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// The single `system.multicall` parameter: an array of `{methodName, params}`.
    pub(super) fn param(&self) -> Value {
        Value::Array(
            self.calls
                .iter()
                .map(|(name, params)| {
                    let mut m = BTreeMap::new();
                    m.insert("methodName".to_owned(), Value::String((*name).to_owned()));
                    m.insert("params".to_owned(), Value::Array(params.clone()));
                    Value::Struct(m)
                })
                .collect(),
        )
    }

    /// Pairs the daemon's answer with the calls. Errors: not an array, or not one
    /// result per call.
    pub(super) fn replies(self, answer: Value) -> Result<Replies> {
        let Value::Array(results) = answer else {
            return Err(Error::Shape {
                method: MULTICALL.into(),
                detail: "expected an array".into(),
            });
        };
        if results.len() != self.calls.len() {
            return Err(Error::Shape {
                method: MULTICALL.into(),
                detail: format!("{} results for {} calls", results.len(), self.calls.len()),
            });
        }
        Ok(Replies {
            results: results.into_iter().map(Some).collect(),
            names: self.calls.into_iter().map(|(n, _)| n).collect(),
        })
    }
}

/// The answers of one batch, taken out one slot at a time.
#[derive(Debug)]
pub struct Replies {
    results: Vec<Option<Value>>,
    names: Vec<&'static str>,
}

impl Replies {
    /// The result of one call, or that call's fault as [`Error::Fault`].
    pub fn take<M: Method>(&mut self, slot: Slot<M>) -> Result<M::Output> {
        self.take_each(slot)?.map_err(Error::Fault)
    }

    /// The result of one call, with its fault kept apart from the errors that concern
    /// the whole batch (a reply of the wrong shape).
    pub fn take_each<M: Method>(&mut self, slot: Slot<M>) -> Result<std::result::Result<M::Output, Fault>> {
        let name = self.names.get(slot.index).copied().unwrap_or(MULTICALL);
        let Some(value) = self.results.get_mut(slot.index).and_then(Option::take) else {
            return Err(Error::Shape {
                method: name.into(),
                detail: "missing from the multicall reply".into(),
            });
        };
        match value.as_fault() {
            Some(f) => Ok(Err(Fault {
                code: FaultCode::from_code(f.code),
                text: f.text,
                method: name.into(),
            })),
            None => slot.method.decode(value).map(Ok),
        }
    }
}

/// Many calls of one kind (one per process, say) and their results, in order.
pub struct Each<M: Method> {
    pub(super) batch: Batch,
    pub(super) slots: Vec<Slot<M>>,
    pub(super) marker: PhantomData<M>,
}

impl<M: Method> Each<M> {
    pub fn new(methods: impl IntoIterator<Item = M>) -> Each<M> {
        let mut batch = Batch::new();
        let slots = methods.into_iter().map(|m| batch.add(m)).collect();
        Each {
            batch,
            slots,
            marker: PhantomData,
        }
    }
}
