// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * mlx5dv_dr_*: software steering ("direct rule").  It programs steering
 * entries straight into the NIC's ICM memory, which the smlx software HCA
 * does not have, so domains can never be created and every call that takes
 * a steering object was handed one from elsewhere.
 */
#include <infiniband/mlx5dv.h>

#include "dv_errors.h"

/*
 * Every entry point here refuses without looking at more than the object
 * it was handed, so most parameters go unread; they keep their names
 * because the signatures must read as in mlx5dv.h.
 */
#pragma GCC diagnostic ignored "-Wunused-parameter"

struct mlx5dv_dr_domain *mlx5dv_dr_domain_create(struct ibv_context *ctx,
						 enum mlx5dv_dr_domain_type type)
{
	return dv_fail_ptr(dv_refusal(ctx));
}

int mlx5dv_dr_domain_destroy(struct mlx5dv_dr_domain *domain)
{
	return dv_fail(dv_refusal(domain));
}

int mlx5dv_dr_domain_sync(struct mlx5dv_dr_domain *domain, uint32_t flags)
{
	return dv_fail(dv_refusal(domain));
}

void mlx5dv_dr_domain_set_reclaim_device_memory(struct mlx5dv_dr_domain *dmn,
						bool enable)
{
	dv_fail(dv_refusal(dmn));
}

void mlx5dv_dr_domain_allow_duplicate_rules(struct mlx5dv_dr_domain *domain,
					    bool allow)
{
	dv_fail(dv_refusal(domain));
}

struct mlx5dv_dr_table *mlx5dv_dr_table_create(struct mlx5dv_dr_domain *domain,
					       uint32_t level)
{
	return dv_fail_ptr(dv_refusal(domain));
}

int mlx5dv_dr_table_destroy(struct mlx5dv_dr_table *table)
{
	return dv_fail(dv_refusal(table));
}

struct mlx5dv_dr_matcher *
mlx5dv_dr_matcher_create(struct mlx5dv_dr_table *table, uint16_t priority,
			 uint8_t match_criteria_enable,
			 struct mlx5dv_flow_match_parameters *mask)
{
	return dv_fail_ptr(dv_refusal(table));
}

int mlx5dv_dr_matcher_destroy(struct mlx5dv_dr_matcher *matcher)
{
	return dv_fail(dv_refusal(matcher));
}

int mlx5dv_dr_matcher_set_layout(struct mlx5dv_dr_matcher *matcher,
				 struct mlx5dv_dr_matcher_layout *layout)
{
	return dv_fail(dv_refusal(matcher));
}

struct mlx5dv_dr_rule *
mlx5dv_dr_rule_create(struct mlx5dv_dr_matcher *matcher,
		      struct mlx5dv_flow_match_parameters *value,
		      size_t num_actions, struct mlx5dv_dr_action *actions[])
{
	return dv_fail_ptr(dv_refusal(matcher));
}

int mlx5dv_dr_rule_destroy(struct mlx5dv_dr_rule *rule)
{
	return dv_fail(dv_refusal(rule));
}

struct mlx5dv_dr_action *mlx5dv_dr_action_create_dest_ibv_qp(struct ibv_qp *ibqp)
{
	return dv_fail_ptr(dv_refusal(ibqp));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_table(struct mlx5dv_dr_table *table)
{
	return dv_fail_ptr(dv_refusal(table));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_root_table(struct mlx5dv_dr_table *table,
					uint16_t priority)
{
	return dv_fail_ptr(dv_refusal(table));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_vport(struct mlx5dv_dr_domain *domain,
				   uint32_t vport)
{
	return dv_fail_ptr(dv_refusal(domain));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_ib_port(struct mlx5dv_dr_domain *domain,
				     uint32_t ib_port)
{
	return dv_fail_ptr(dv_refusal(domain));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_devx_tir(struct mlx5dv_devx_obj *devx_obj)
{
	return dv_fail_ptr(dv_refusal(devx_obj));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_dest_array(struct mlx5dv_dr_domain *domain,
				   size_t num_dest,
				   struct mlx5dv_dr_action_dest_attr *dests[])
{
	return dv_fail_ptr(dv_refusal(domain));
}

/*
 * The three actions below need no domain in rdma-core, but an action is
 * only usable inside a rule of some domain, and there are none.
 */
struct mlx5dv_dr_action *mlx5dv_dr_action_create_drop(void)
{
	return dv_fail_ptr(EOPNOTSUPP);
}

struct mlx5dv_dr_action *mlx5dv_dr_action_create_default_miss(void)
{
	return dv_fail_ptr(EOPNOTSUPP);
}

struct mlx5dv_dr_action *mlx5dv_dr_action_create_pop_vlan(void)
{
	return dv_fail_ptr(EOPNOTSUPP);
}

struct mlx5dv_dr_action *mlx5dv_dr_action_create_tag(uint32_t tag_value)
{
	return dv_fail_ptr(EOPNOTSUPP);
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_flow_counter(struct mlx5dv_devx_obj *devx_obj,
				     uint32_t offset)
{
	return dv_fail_ptr(dv_refusal(devx_obj));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_aso(struct mlx5dv_dr_domain *domain,
			    struct mlx5dv_devx_obj *devx_obj, uint32_t offset,
			    uint32_t flags, uint8_t return_reg_c)
{
	return dv_fail_ptr(dv_refusal(domain));
}

int mlx5dv_dr_action_modify_aso(struct mlx5dv_dr_action *action,
				uint32_t offset, uint32_t flags,
				uint8_t return_reg_c)
{
	return dv_fail(dv_refusal(action));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_packet_reformat(struct mlx5dv_dr_domain *domain,
					uint32_t flags,
					enum mlx5dv_flow_action_packet_reformat_type reformat_type,
					size_t data_sz, void *data)
{
	return dv_fail_ptr(dv_refusal(domain));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_modify_header(struct mlx5dv_dr_domain *domain,
				      uint32_t flags, size_t actions_sz,
				      __be64 actions[])
{
	return dv_fail_ptr(dv_refusal(domain));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_flow_meter(struct mlx5dv_dr_flow_meter_attr *attr)
{
	return dv_fail_ptr(dv_refusal(attr));
}

int mlx5dv_dr_action_modify_flow_meter(struct mlx5dv_dr_action *action,
				       struct mlx5dv_dr_flow_meter_attr *attr,
				       __be64 modify_field_select)
{
	return dv_fail(dv_refusal(action));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_flow_sampler(struct mlx5dv_dr_flow_sampler_attr *attr)
{
	return dv_fail_ptr(dv_refusal(attr));
}

struct mlx5dv_dr_action *
mlx5dv_dr_action_create_push_vlan(struct mlx5dv_dr_domain *domain,
				  __be32 vlan_hdr)
{
	return dv_fail_ptr(dv_refusal(domain));
}

int mlx5dv_dr_action_destroy(struct mlx5dv_dr_action *action)
{
	return dv_fail(dv_refusal(action));
}

int mlx5dv_dr_aso_other_domain_link(struct mlx5dv_devx_obj *devx_obj,
				    struct mlx5dv_dr_domain *peer_dmn,
				    struct mlx5dv_dr_domain *dmn,
				    uint32_t flags, uint8_t return_reg_c)
{
	return dv_fail(dv_refusal(dmn));
}

int mlx5dv_dr_aso_other_domain_unlink(struct mlx5dv_devx_obj *devx_obj,
				      struct mlx5dv_dr_domain *dmn)
{
	return dv_fail(dv_refusal(dmn));
}

/* Nothing to dump: the caller's object cannot be one of ours. */
static int dump_refusal(FILE *fout, const void *obj)
{
	return dv_fail(fout ? dv_refusal(obj) : EINVAL);
}

int mlx5dv_dump_dr_domain(FILE *fout, struct mlx5dv_dr_domain *domain)
{
	return dump_refusal(fout, domain);
}

int mlx5dv_dump_dr_table(FILE *fout, struct mlx5dv_dr_table *table)
{
	return dump_refusal(fout, table);
}

int mlx5dv_dump_dr_matcher(FILE *fout, struct mlx5dv_dr_matcher *matcher)
{
	return dump_refusal(fout, matcher);
}

int mlx5dv_dump_dr_rule(FILE *fout, struct mlx5dv_dr_rule *rule)
{
	return dump_refusal(fout, rule);
}
