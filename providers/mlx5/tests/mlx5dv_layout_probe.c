// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prints the size and member offsets of the mlx5dv structs applications
 * fill in or read, and the values of the constants they pass.  Built once
 * against our <infiniband/mlx5dv.h> and once against rdma-core 44's
 * (Debian's libibverbs-dev); check_mlx5dv_layouts.sh compares the outputs.
 */
#include <stddef.h>
#include <stdio.h>

#include <infiniband/mlx5dv.h>

#define SIZE(type) printf("sizeof(struct %s) = %zu\n", #type, sizeof(struct type))
#define OFF(type, member)                                                      \
	printf("offsetof(struct %s, %s) = %zu\n", #type, #member,              \
	       offsetof(struct type, member))
#define VAL(name) printf("%s = %lld\n", #name, (long long)(name))

int main(void)
{
	SIZE(mlx5dv_context);
	OFF(mlx5dv_context, flags);
	OFF(mlx5dv_context, comp_mask);
	OFF(mlx5dv_context, cqe_comp_caps);
	OFF(mlx5dv_context, sw_parsing_caps);
	OFF(mlx5dv_context, striding_rq_caps);
	OFF(mlx5dv_context, tunnel_offloads_caps);
	OFF(mlx5dv_context, max_dynamic_bfregs);
	OFF(mlx5dv_context, max_clock_info_update_nsec);
	OFF(mlx5dv_context, flow_action_flags);
	OFF(mlx5dv_context, dc_odp_caps);
	OFF(mlx5dv_context, hca_core_clock);
	OFF(mlx5dv_context, num_lag_ports);
	OFF(mlx5dv_context, sig_caps);
	OFF(mlx5dv_context, dci_streams_caps);
	OFF(mlx5dv_context, max_wr_memcpy_length);
	OFF(mlx5dv_context, crypto_caps);
	SIZE(mlx5dv_sig_caps);
	SIZE(mlx5dv_crypto_caps);
	OFF(mlx5dv_crypto_caps, flags);
	SIZE(mlx5dv_striding_rq_caps);

	SIZE(mlx5dv_cq_init_attr);
	OFF(mlx5dv_cq_init_attr, cqe_comp_res_format);
	OFF(mlx5dv_cq_init_attr, flags);
	OFF(mlx5dv_cq_init_attr, cqe_size);
	SIZE(mlx5dv_qp_init_attr);
	OFF(mlx5dv_qp_init_attr, create_flags);
	OFF(mlx5dv_qp_init_attr, dc_init_attr);
	OFF(mlx5dv_qp_init_attr, send_ops_flags);
	SIZE(mlx5dv_dc_init_attr);
	OFF(mlx5dv_dc_init_attr, dct_access_key);
	OFF(mlx5dv_dc_init_attr, dci_streams);
	SIZE(mlx5dv_wq_init_attr);
	OFF(mlx5dv_wq_init_attr, striding_rq_attrs);
	SIZE(mlx5dv_striding_rq_init_attr);

	SIZE(mlx5dv_qp_ex);
	OFF(mlx5dv_qp_ex, wr_set_dc_addr);
	OFF(mlx5dv_qp_ex, wr_mr_interleaved);
	OFF(mlx5dv_qp_ex, wr_mr_list);
	OFF(mlx5dv_qp_ex, wr_mkey_configure);
	OFF(mlx5dv_qp_ex, wr_set_mkey_access_flags);
	OFF(mlx5dv_qp_ex, wr_set_mkey_layout_list);
	OFF(mlx5dv_qp_ex, wr_set_mkey_layout_interleaved);
	OFF(mlx5dv_qp_ex, wr_set_mkey_sig_block);
	OFF(mlx5dv_qp_ex, wr_raw_wqe);
	OFF(mlx5dv_qp_ex, wr_set_dc_addr_stream);
	OFF(mlx5dv_qp_ex, wr_memcpy);
	OFF(mlx5dv_qp_ex, wr_set_mkey_crypto);

	SIZE(mlx5dv_mkey_init_attr);
	OFF(mlx5dv_mkey_init_attr, create_flags);
	OFF(mlx5dv_mkey_init_attr, max_entries);
	SIZE(mlx5dv_mkey);
	SIZE(mlx5dv_mr_interleaved);
	SIZE(mlx5dv_mkey_conf_attr);
	SIZE(mlx5dv_mkey_err);
	OFF(mlx5dv_mkey_err, err);
	SIZE(mlx5dv_sig_t10dif);
	OFF(mlx5dv_sig_t10dif, flags);
	SIZE(mlx5dv_sig_crc);
	SIZE(mlx5dv_sig_block_domain);
	OFF(mlx5dv_sig_block_domain, block_size);
	OFF(mlx5dv_sig_block_domain, comp_mask);
	SIZE(mlx5dv_sig_block_attr);
	OFF(mlx5dv_sig_block_attr, check_mask);
	OFF(mlx5dv_sig_block_attr, copy_mask);
	OFF(mlx5dv_sig_block_attr, comp_mask);
	SIZE(mlx5dv_crypto_attr);
	OFF(mlx5dv_crypto_attr, encrypt_on_tx);
	OFF(mlx5dv_crypto_attr, initial_tweak);
	OFF(mlx5dv_crypto_attr, dek);
	OFF(mlx5dv_crypto_attr, keytag);
	OFF(mlx5dv_crypto_attr, comp_mask);

	SIZE(mlx5dv_obj);
	OFF(mlx5dv_obj, cq);
	OFF(mlx5dv_obj, srq);
	OFF(mlx5dv_obj, rwq);
	OFF(mlx5dv_obj, dm);
	OFF(mlx5dv_obj, ah);
	OFF(mlx5dv_obj, pd);
	SIZE(mlx5dv_qp);
	OFF(mlx5dv_qp, sq);
	OFF(mlx5dv_qp, rq);
	OFF(mlx5dv_qp, bf);
	OFF(mlx5dv_qp, comp_mask);
	OFF(mlx5dv_qp, uar_mmap_offset);
	OFF(mlx5dv_qp, tirn);
	OFF(mlx5dv_qp, sqn);
	OFF(mlx5dv_qp, tir_icm_addr);
	SIZE(mlx5dv_cq);
	OFF(mlx5dv_cq, cq_uar);
	OFF(mlx5dv_cq, cqn);
	OFF(mlx5dv_cq, comp_mask);
	SIZE(mlx5dv_srq);
	OFF(mlx5dv_srq, comp_mask);
	OFF(mlx5dv_srq, srqn);
	SIZE(mlx5dv_rwq);
	SIZE(mlx5dv_dm);
	OFF(mlx5dv_dm, remote_va);
	SIZE(mlx5dv_ah);
	SIZE(mlx5dv_pd);
	SIZE(mlx5dv_alloc_dm_attr);

	SIZE(mlx5dv_clock_info);
	OFF(mlx5dv_clock_info, mult);
	OFF(mlx5dv_clock_info, shift);
	OFF(mlx5dv_clock_info, mask);
	SIZE(mlx5dv_context_attr);
	SIZE(mlx5dv_ctx_allocators);
	SIZE(mlx5dv_vfio_context_attr);
	SIZE(mlx5dv_port);

	SIZE(mlx5dv_crypto_login_attr);
	OFF(mlx5dv_crypto_login_attr, credential);
	OFF(mlx5dv_crypto_login_attr, comp_mask);
	SIZE(mlx5dv_crypto_login_attr_ex);
	OFF(mlx5dv_crypto_login_attr_ex, credential_len);
	SIZE(mlx5dv_crypto_login_query_attr);
	SIZE(mlx5dv_dek_init_attr);
	OFF(mlx5dv_dek_init_attr, has_keytag);
	OFF(mlx5dv_dek_init_attr, key_purpose);
	OFF(mlx5dv_dek_init_attr, pd);
	OFF(mlx5dv_dek_init_attr, opaque);
	OFF(mlx5dv_dek_init_attr, key);
	OFF(mlx5dv_dek_init_attr, comp_mask);
	OFF(mlx5dv_dek_init_attr, crypto_login);
	SIZE(mlx5dv_dek_attr);
	OFF(mlx5dv_dek_attr, comp_mask);

	SIZE(mlx5dv_flow_action_esp);
	SIZE(mlx5dv_flow_match_parameters);
	SIZE(mlx5dv_flow_matcher_attr);
	OFF(mlx5dv_flow_matcher_attr, flags);
	OFF(mlx5dv_flow_matcher_attr, priority);
	OFF(mlx5dv_flow_matcher_attr, match_criteria_enable);
	OFF(mlx5dv_flow_matcher_attr, match_mask);
	OFF(mlx5dv_flow_matcher_attr, comp_mask);
	OFF(mlx5dv_flow_matcher_attr, ft_type);
	SIZE(mlx5dv_flow_action_attr);
	OFF(mlx5dv_flow_action_attr, qp);
	SIZE(mlx5dv_steering_anchor_attr);
	OFF(mlx5dv_steering_anchor_attr, comp_mask);
	SIZE(mlx5dv_steering_anchor);

	SIZE(mlx5dv_devx_umem);
	SIZE(mlx5dv_devx_umem_in);
	OFF(mlx5dv_devx_umem_in, access);
	OFF(mlx5dv_devx_umem_in, pgsz_bitmap);
	OFF(mlx5dv_devx_umem_in, comp_mask);
	OFF(mlx5dv_devx_umem_in, dmabuf_fd);
	SIZE(mlx5dv_devx_uar);
	OFF(mlx5dv_devx_uar, page_id);
	OFF(mlx5dv_devx_uar, mmap_off);
	OFF(mlx5dv_devx_uar, comp_mask);
	SIZE(mlx5dv_var);
	OFF(mlx5dv_var, mmap_off);
	SIZE(mlx5dv_pp);
	SIZE(mlx5dv_devx_cmd_comp);
	SIZE(mlx5dv_devx_event_channel);
	SIZE(mlx5dv_devx_msi_vector);
	SIZE(mlx5dv_devx_eq);
	SIZE(mlx5dv_devx_async_cmd_hdr);
	SIZE(mlx5dv_devx_async_event_hdr);

	SIZE(mlx5dv_sched_attr);
	OFF(mlx5dv_sched_attr, flags);
	OFF(mlx5dv_sched_attr, comp_mask);
	SIZE(mlx5dv_dr_flow_meter_attr);
	OFF(mlx5dv_dr_flow_meter_attr, reg_c_index);
	OFF(mlx5dv_dr_flow_meter_attr, flow_meter_parameter_sz);
	SIZE(mlx5dv_dr_flow_sampler_attr);
	OFF(mlx5dv_dr_flow_sampler_attr, num_sample_actions);
	OFF(mlx5dv_dr_flow_sampler_attr, action);
	SIZE(mlx5dv_dr_matcher_layout);
	SIZE(mlx5dv_dr_action_dest_attr);
	SIZE(mlx5dv_dr_action_dest_reformat);

	VAL(MLX5DV_CONTEXT_MASK_CRYPTO_OFFLOAD);
	VAL(MLX5DV_CONTEXT_FLAGS_REAL_TIME_TS);
	VAL(MLX5DV_CQE_RES_FORMAT_CSUM_STRIDX);
	VAL(MLX5DV_SW_PARSING_LSO);
	VAL(MLX5DV_CQ_INIT_ATTR_MASK_CQE_SIZE);
	VAL(MLX5DV_CQ_INIT_ATTR_FLAGS_RESERVED);
	VAL(MLX5DV_QP_CREATE_SIG_PIPELINING);
	VAL(MLX5DV_QP_INIT_ATTR_MASK_DCI_STREAMS);
	VAL(MLX5DV_DCTYPE_DCT);
	VAL(MLX5DV_DCTYPE_DCI);
	VAL(MLX5DV_QP_EX_WITH_MEMCPY);
	VAL(MLX5DV_MKEY_INIT_ATTR_FLAGS_REMOTE_INVALIDATE);
	VAL(MLX5DV_WC_UMR);
	VAL(MLX5DV_WC_RAW_WQE);
	VAL(MLX5DV_WC_MEMCPY);
	VAL(MLX5DV_OBJ_PD);
	VAL(MLX5DV_CTX_ATTR_BUF_ALLOCATORS);
	VAL(MLX5DV_CONTEXT_FLAGS_DEVX);
	VAL(MLX5DV_DR_DOMAIN_TYPE_FDB);
	VAL(MLX5DV_DR_DOMAIN_SYNC_FLAGS_MEM);
	VAL(MLX5DV_DR_ACTION_FLAGS_ROOT_LEVEL);
	VAL(MLX5DV_DR_MATCHER_LAYOUT_NUM_RULE);
	VAL(MLX5DV_FLOW_ACTION_DEFAULT_MISS);
	VAL(MLX5DV_CRYPTO_LOGIN_STATE_INVALID);
	VAL(MLX5DV_CRYPTO_KEY_SIZE_256);
	VAL(MLX5DV_DEK_INIT_ATTR_CRYPTO_LOGIN);
	VAL(MLX5DV_BLOCK_SIZE_4160);
	VAL(MLX5DV_SIG_MASK_CRC64_XP10);
	VAL(MLX5DV_SCHED_ELEM_ATTR_FLAGS_MAX_AVG_BW);
	VAL(MLX5DV_FLOW_TABLE_TYPE_RDMA_TX);
	VAL(MLX5DV_UAR_ALLOC_TYPE_NC);
	VAL(MLX5DV_DM_TYPE_HEADER_MODIFY_SW_ICM);
	VAL(MLX5DV_UMEM_MASK_DMABUF);
	VAL(MLX5DV_RES_TYPE_QP);
	VAL(MLX5DV_RES_TYPE_CQ);
	VAL(MLX5_SND_DBR);
	VAL(MLX5_MMAP_GET_NC_PAGES_CMD);
	return 0;
}
