// SPDX-License-Identifier: GPL-2.0
/*
 * kcheck: makes the debug kernel report one kind of bug on purpose, so that
 * tools/vm/debug-kernel-selftest can prove tools/vm-run's verdict fails on
 * each kind. Never loaded by a test case. insmod kcheck.ko bug=KIND:
 *   none     nothing (the control run: must pass)
 *   kasan    an 8-byte write past a 16-byte kmalloc()     "BUG: KASAN"
 *   leak     a kmalloc() whose only pointer is dropped     kmemleak record
 *   sleep    might_sleep() under a spinlock                "BUG: sleeping ..."
 *   lockdep  two mutexes taken in both orders (one thread) "possible circular"
 *   rcu      rcu_dereference() outside rcu_read_lock()     "suspicious RCU"
 *   list     list_del() of an entry deleted already        "list_del corruption"
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/list.h>
#include <linux/string.h>

static char *bug = "none";
module_param(bug, charp, 0400);
MODULE_PARM_DESC(bug, "none, kasan, leak, sleep, lockdep, rcu or list");

static DEFINE_SPINLOCK(kcheck_lock);
static DEFINE_MUTEX(kcheck_a);
static DEFINE_MUTEX(kcheck_b);
static int __rcu *kcheck_rcu_ptr;
static void *kcheck_leaked;

static noinline void kcheck_kasan(void)
{
	char *p = kmalloc(16, GFP_KERNEL);

	if (!p)
		return;
	OPTIMIZER_HIDE_VAR(p);
	memset(p + 16, 0x5a, 8);
	kfree(p);
}

static noinline void kcheck_leak(void)
{
	kcheck_leaked = kmalloc(1024, GFP_KERNEL);
	/* Forget it: only kmemleak can still find it. */
	WRITE_ONCE(kcheck_leaked, NULL);
}

static noinline void kcheck_sleep(void)
{
	spin_lock(&kcheck_lock);
	might_sleep();
	spin_unlock(&kcheck_lock);
}

static noinline void kcheck_lockdep(void)
{
	mutex_lock(&kcheck_a);
	mutex_lock(&kcheck_b);
	mutex_unlock(&kcheck_b);
	mutex_unlock(&kcheck_a);
	mutex_lock(&kcheck_b);
	mutex_lock(&kcheck_a);
	mutex_unlock(&kcheck_a);
	mutex_unlock(&kcheck_b);
}

static noinline void kcheck_rcu(void)
{
	int *p = rcu_dereference(kcheck_rcu_ptr);

	pr_info("kcheck: rcu pointer %p\n", p);
}

static noinline void kcheck_list(void)
{
	LIST_HEAD(head);
	struct list_head entry;

	list_add(&entry, &head);
	list_del(&entry);
	list_del(&entry);
}

static int __init kcheck_init(void)
{
	pr_info("kcheck: bug=%s\n", bug);
	if (!strcmp(bug, "kasan"))
		kcheck_kasan();
	else if (!strcmp(bug, "leak"))
		kcheck_leak();
	else if (!strcmp(bug, "sleep"))
		kcheck_sleep();
	else if (!strcmp(bug, "lockdep"))
		kcheck_lockdep();
	else if (!strcmp(bug, "rcu"))
		kcheck_rcu();
	else if (!strcmp(bug, "list"))
		kcheck_list();
	else if (strcmp(bug, "none"))
		return -EINVAL;
	return 0;
}

static void __exit kcheck_exit(void)
{
}

module_init(kcheck_init);
module_exit(kcheck_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Reports one kind of bug on purpose (tools/vm/debug-kernel-selftest)");
